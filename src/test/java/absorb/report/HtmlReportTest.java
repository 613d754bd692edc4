package absorb.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report page: section order, figures at their drawn size, claims beside the figure that shows them. */
class HtmlReportTest {
    @TempDir
    Path tmp;

    private static Plot plot() {
        return new Plot("A line").x("x", Plot.Scale.LINEAR).y("y", Plot.Scale.LINEAR)
                .line("y = x", new double[] {0, 1}, new double[] {0, 1}, Plot.Style.of(Palette.BLUE));
    }

    @Test
    void aSectionInsertedLaterComesWhereItWasPut() throws Exception {
        HtmlReport r = new HtmlReport("t");
        r.section("intro").paragraph("first");
        r.section("details").paragraph("third");
        r.sectionAt(1, "summary").paragraph("second");
        Path f = tmp.resolve("r.html");
        r.write(f);
        String html = Files.readString(f);
        assertTrue(html.indexOf(">intro</h2>") < html.indexOf(">summary</h2>"));
        assertTrue(html.indexOf(">summary</h2>") < html.indexOf(">details</h2>"));
        assertTrue(html.indexOf("second") < html.indexOf("third"), "text goes to the section last started");
        assertTrue(html.indexOf("<a href=\"#s1\">summary</a>") > 0, "the contents follow the order");
    }

    @Test
    void figuresShowAtTheSizeTheyWereDrawnFor() throws Exception {
        HtmlReport r = new HtmlReport("t");
        r.section("s").figure(Figure.of(plot()).png(), "a <caption>");
        Path f = tmp.resolve("r.html");
        r.write(f);
        String html = Files.readString(f);
        assertTrue(html.contains("width=\"" + Figure.WIDTH + "\""), html.substring(0, 400));
        assertTrue(html.contains("a &lt;caption&gt;"));
    }

    /** Claims shown by one figure share it; the figure is read from the summary's folder; summary.json names it. */
    @Test
    void summaryPutsEachClaimBesideItsFigure() throws Exception {
        Figure.of(plot()).write(tmp.resolve("run").resolve("line"));
        Summary s = new Summary().add(List.of(
                Claim.of("study.a", 1, "> 0", true, "a").shownBy("run/line.png", "the line"),
                Claim.of("study.b", 2, "> 0", true, "b").shownBy("run/line.png", "the line"),
                Claim.of("study.c", 3, "> 0", true, "c")));
        HtmlReport r = new HtmlReport("t");
        r.section("first");
        s.section(r, 0, "claims", null, tmp);
        Path f = tmp.resolve("r.html");
        r.write(f);
        String html = Files.readString(f);
        assertEquals(1, html.split("class=\"claim\"", -1).length - 1, "a and b share one figure; c has none");
        assertEquals(1, html.split("<img ", -1).length - 1);
        assertTrue(html.indexOf(">claims</h2>") < html.indexOf(">first</h2>"));
        s.write(tmp.resolve("summary.json"), 1);
        String json = Files.readString(tmp.resolve("summary.json"));
        assertTrue(json.contains("\"figure\" : \"run/line.png\""), json);
    }
}
