package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.report.Chromium;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's report as a browser shows it: a demo shortened to seconds (short sequences, small rings, no robustness
 * seeds) writes the same report and figures as the full one; headless Chromium opens the report and every figure file.
 */
class DemoReportTest {
    /** A screenshot of the page, for a person to look at after the tests. */
    static final Path SCREENSHOT = Path.of("target", "report-screenshots", "demo-short.png");

    @TempDir
    Path tmp;

    /**
     * The findings (each claim's line, the readings, the closing line) go to standard output, which `./absorb demo >
     * out.txt` keeps; then the page in the browser (skipped without Chromium).
     */
    @Test
    void everyFigureOfTheDemoReportLoadsInABrowser() throws IOException {
        Path out = tmp.resolve("demo");
        Cli c = Cli.run("demo", "--only", "graphs", "--context", "24", "--window", "8", "--batch", "2", "--robustness-seeds", "0", "--sweep",
                "ring:4,ring:5,ring:6,ring:7", "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        JsonNode claims = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("claims");
        for (JsonNode claim : claims) assertTrue(c.out.contains(claim.get("name").asText() + " = "), c.out);
        assertTrue(c.out.contains("claims hold with seed 7; report: " + out.resolve("report.html")), c.out);
        assertTrue(c.out.lines().noneMatch(l -> l.contains("forward pass")), "progress stays on standard error");
        Chromium.assumeInstalled();
        assertReportShowsEveryFigure(out);
        Chromium.screenshot(out.resolve("report.html"), SCREENSHOT, 1200, 3000);
    }

    /**
     * The checks on a demo's folder: every image of report.html loads, there is one per figure tag, each claim's
     * figure exists and is in the report, and every SVG in the folder loads as an image too.
     */
    static void assertReportShowsEveryFigure(Path out) throws IOException {
        Path report = out.resolve("report.html");
        String html = Files.readString(report);
        int tags = Pattern.compile("<img ").split(html, -1).length - 1;
        Chromium.Images shown = Chromium.images(report);
        assertEquals(tags, shown.total(), "the browser sees every image of the page");
        assertTrue(shown.total() >= 20, "the report has its figures: " + shown.total());
        assertEquals(List.of(), shown.broken(), "images that did not load");

        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        long news = 0;
        for (JsonNode claim : summary.get("claims")) if (claim.get("name").asText().startsWith("news.")) news++;
        assertEquals(news > 0 ? 11 + NewsDemoTest.CLAIMS.size() : 11, summary.get("claims").size());
        for (JsonNode claim : summary.get("claims")) {
            assertTrue(claim.has("figure"), claim.get("name").asText() + " names the figure that shows it");
            assertTrue(Files.isRegularFile(out.resolve(claim.get("figure").asText())), claim.get("figure").asText());
        }

        List<Path> svgs;
        try (Stream<Path> s = Files.walk(out)) {
            svgs = s.filter(p -> p.toString().endsWith(".svg")).sorted().toList();
        }
        assertTrue(svgs.size() >= 20, "SVG beside every PNG: " + svgs.size());
        Chromium.Images vector = Chromium.images(Chromium.pageOf(svgs, Files.createTempDirectory(out, "svg")));
        assertEquals(svgs.size(), vector.total());
        assertEquals(List.of(), vector.broken(), "SVG files that did not load");
    }
}
