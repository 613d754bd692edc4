package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The New News half of the demo on the bundled news world models. */
class NewsDemoTest {
    /** The claims and measurements the news half adds to summary.json, in order. */
    static final List<String> CLAIMS = List.of("news.no_news_accuracy", "news.icl_accuracy", "news.naive_accuracy",
            "news.paraphrase_accuracy", "news.implication_accuracy", "news.self_qa_accuracy",
            "news.self_qa_shadowed_accuracy", "news.icl_after_ft_accuracy", "news.retention_accuracy",
            "news.unrehearsed_accuracy", "news.scaling.min_slope", "news.scaling.larger_needs_fewer_samples");

    @TempDir
    Path tmp;

    @Test
    void badHalfOrNewsOptionIsOneSentence() {
        Cli.refused("--only words", "demo", "--only", "words", "--out", tmp.resolve("a").toString());
        Cli.refused("--news-items", "demo", "--only", "news", "--news-items", "0", "--out", tmp.resolve("b").toString());
        Cli.refused("not a model folder", "demo", "--only", "news", "--news-model", tmp.resolve("none").toString(),
                "--out", tmp.resolve("c").toString());
        assertTrue(!Files.exists(tmp.resolve("a")) && !Files.exists(tmp.resolve("b")) && !Files.exists(tmp.resolve("c")),
                "nothing written");
    }

    /**
     * Shortened to one item per kind, two samples and one model: every stage runs, every claim is written. Slow: about 20 s
     * on a quiet machine (minutes when it is shared).
     */
    @Tag("slow")
    @Test
    void shortNewsDemoWritesEveryClaimAndItsFigures() throws IOException {
        Path out = tmp.resolve("demo");
        Cli c = Cli.run("demo", "--only", "news", "--news-model", DemoCommand.NEWS_MODEL, "--news-sizes",
                DemoCommand.NEWS_MODEL, "--news-items", "1", "--news-samples", "2", "--news-grid", "1,2",
                "--robustness-seeds", "0", "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        List<String> names = new ArrayList<>();
        for (JsonNode claim : summary.get("claims")) {
            names.add(claim.get("name").asText());
            assertTrue(c.out.contains(claim.get("name").asText() + " = "), c.out);
            assertTrue(Files.isRegularFile(out.resolve(claim.get("figure").asText())), claim.get("figure").asText());
        }
        assertEquals(CLAIMS, names);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("New News on the toy news world") && html.contains("Accuracy against training compute"));
    }

    /**
     * The news half as shipped: every thresholded claim holds with the demo's seed and the three others. Slow: about 7
     * minutes on this machine.
     */
    @Tag("slow")
    @Test
    void newsDemoMeetsItsThresholds() throws IOException {
        Path out = tmp.resolve("demo");
        assertEquals(0, Cli.run("demo", "--only", "news", "--out", out.toString()).exit);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        StringBuilder failing = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (JsonNode c : summary.get("claims")) {
            names.add(c.get("name").asText());
            assertEquals(3, c.get("other_seeds").size(), c.get("name").asText() + " is measured with every seed");
            if (c.has("measurement")) continue; // reported, held to no threshold
            if (!c.get("holds").asBoolean() || !c.get("holds_across_seeds").asText().startsWith("4 of 4")) {
                failing.append(c.get("name").asText()).append(" = ").append(c.get("value")).append(": ")
                        .append(c.get("holds_across_seeds").asText()).append("; ");
            }
        }
        assertEquals(CLAIMS, names);
        assertEquals("", failing.toString(), "claims that should hold with every seed");
    }
}
