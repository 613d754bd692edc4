package absorb.report;

import absorb.io.AtomicFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** A self-contained HTML report: sections of text, tables and figures (PNG embedded as data URIs). */
public final class HtmlReport {
    private final String title;
    private final StringBuilder body = new StringBuilder();
    private final List<String> toc = new ArrayList<>();

    public HtmlReport(String title) {
        this.title = title;
    }

    public HtmlReport section(String heading) {
        String id = "s" + toc.size();
        toc.add("<li><a href=\"#" + id + "\">" + escape(heading) + "</a></li>");
        body.append("<h2 id=\"").append(id).append("\">").append(escape(heading)).append("</h2>\n");
        return this;
    }

    public HtmlReport paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A paragraph set in bold type: a claim and its verdict. */
    public HtmlReport verdict(String text, boolean holds) {
        body.append("<p class=\"").append(holds ? "ok" : "fail").append("\">").append(escape(text)).append("</p>\n");
        return this;
    }

    public HtmlReport table(List<String> header, List<List<String>> rows) {
        body.append("<table><tr>");
        for (String h : header) body.append("<th>").append(escape(h)).append("</th>");
        body.append("</tr>\n");
        for (List<String> row : rows) {
            body.append("<tr>");
            for (String c : row) body.append("<td>").append(escape(c)).append("</td>");
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    public HtmlReport figure(byte[] png, String caption) {
        body.append("<figure><img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                .append("\" alt=\"").append(escape(caption)).append("\"><figcaption>").append(escape(caption))
                .append("</figcaption></figure>\n");
        return this;
    }

    public void write(Path file) {
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
                + "</title>\n<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
                + "color:#222;line-height:1.45}h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ddd}"
                + "figure{display:inline-block;margin:.5em;vertical-align:top}figure img{max-width:520px;"
                + "border:1px solid #eee}figcaption{font-size:.85em;color:#555;max-width:520px}table{border-collapse:"
                + "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;font-size:.9em}"
                + ".ok{font-weight:600;color:#146c2e}.fail{font-weight:600;color:#a4161a}</style></head>\n<body>\n<h1>"
                + escape(title) + "</h1>\n<ul>" + String.join("", toc) + "</ul>\n" + body + "</body></html>\n";
        AtomicFile.writeString(file, html);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
