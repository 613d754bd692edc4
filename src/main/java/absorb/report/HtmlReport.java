package absorb.report;

import absorb.io.AtomicFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A self-contained HTML report: sections of text, tables and figures (PNG embedded as data URIs, shown at the size
 * they were drawn for: see {@link Figure}). Sections are added in order, or inserted at a place ({@link #sectionAt}),
 * so that a summary written last can still come first; what follows goes into the section last started.
 */
public final class HtmlReport {
    private final String title;
    private final List<String> headings = new ArrayList<>();
    private final List<StringBuilder> bodies = new ArrayList<>();
    private final StringBuilder preface = new StringBuilder();
    private StringBuilder current = preface;

    public HtmlReport(String title) {
        this.title = title;
    }

    public HtmlReport section(String heading) {
        return sectionAt(headings.size(), heading);
    }

    /** Starts a section at {@code index} among those already there (0: first). */
    public HtmlReport sectionAt(int index, String heading) {
        int at = Math.max(0, Math.min(index, headings.size()));
        headings.add(at, heading);
        current = new StringBuilder();
        bodies.add(at, current);
        return this;
    }

    /** How many sections the report has. */
    public int sections() {
        return headings.size();
    }

    public HtmlReport paragraph(String text) {
        current.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A paragraph set in bold type: a claim and its verdict. */
    public HtmlReport verdict(String text, boolean holds) {
        current.append(verdictHtml(text, holds));
        return this;
    }

    private static String verdictHtml(String text, boolean holds) {
        return "<p class=\"" + (holds ? "ok" : "fail") + "\">" + escape(text) + "</p>\n";
    }

    public HtmlReport table(List<String> header, List<List<String>> rows) {
        current.append("<table><tr>");
        for (String h : header) current.append("<th>").append(escape(h)).append("</th>");
        current.append("</tr>\n");
        for (List<String> row : rows) {
            current.append("<tr>");
            for (String c : row) current.append("<td>").append(escape(c)).append("</td>");
            current.append("</tr>\n");
        }
        current.append("</table>\n");
        return this;
    }

    /** A figure from its PNG, shown at the width it was drawn for, with a caption below. */
    public HtmlReport figure(byte[] png, String caption) {
        current.append(figureHtml(png, caption));
        return this;
    }

    private static String figureHtml(byte[] png, String caption) {
        int w = Figure.displayWidth(png);
        String width = w > 0 ? " style=\"width:" + w + "px\"" : "";
        return "<figure" + width + "><img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                + "\" alt=\"" + escape(caption) + "\"" + (w > 0 ? " width=\"" + w + "\"" : "") + "><figcaption>"
                + escape(caption) + "</figcaption></figure>\n";
    }

    /**
     * Claims (one verdict line each, marked as holding or not) beside the figure that shows them: side by side where
     * the page is wide enough, the figure below otherwise.
     */
    public HtmlReport verdictsBeside(List<String> lines, List<Boolean> holds, byte[] png, String caption) {
        current.append("<div class=\"claim\"><div class=\"verdicts\">");
        for (int i = 0; i < lines.size(); i++) current.append(verdictHtml(lines.get(i), holds.get(i)));
        current.append("</div>\n").append(figureHtml(png, caption)).append("</div>\n");
        return this;
    }

    public void write(Path file) {
        StringBuilder toc = new StringBuilder(), body = new StringBuilder(preface);
        for (int i = 0; i < headings.size(); i++) {
            String id = "s" + i;
            toc.append("<li><a href=\"#").append(id).append("\">").append(escape(headings.get(i))).append("</a></li>");
            body.append("<h2 id=\"").append(id).append("\">").append(escape(headings.get(i))).append("</h2>\n")
                    .append(bodies.get(i));
        }
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
                + "</title>\n<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
                + "color:#222;line-height:1.45}h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ddd}"
                + "figure{display:inline-block;margin:.5em .3em;vertical-align:top;max-width:100%}figure img{max-width:100%;"
                + "height:auto;border:1px solid #eee}figcaption{font-size:.85em;color:#555}table{border-collapse:"
                + "collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;font-size:.9em}"
                + ".ok{font-weight:600;color:#146c2e}.fail{font-weight:600;color:#a4161a}"
                + ".claim{display:flex;flex-wrap:wrap;align-items:flex-start;gap:0 1em;margin:1em 0;padding-top:.5em;"
                + "border-top:1px solid #eee}.claim .verdicts{flex:1 1 300px}.claim figure{margin:.3em 0}</style></head>\n"
                + "<body>\n<h1>" + escape(title) + "</h1>\n<ul>" + toc + "</ul>\n" + body + "</body></html>\n";
        AtomicFile.writeString(file, html);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
