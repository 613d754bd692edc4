package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.graphs.Words;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.toy.ToyWorld;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model absorb ships for the graph study, and (slow profile) a reduced demo on it held to its thresholds. */
class BundledModelTest {
    private static final Path MODEL = Path.of(DemoCommand.BUNDLED);

    @TempDir
    Path tmp;

    @Test
    void bundledModelLoadsAndKnowsTheStudyWords() {
        try (LanguageModel lm = LanguageModel.load(MODEL, Compute.CPU_FLOAT32)) {
            assertEquals("LlamaForCausalLM", lm.config().architecture());
            assertTrue(lm.tokenizer().addsBos());
            assertEquals(ToyWorld.vocabulary().size(), Words.tokenIds(lm.tokenizer(), ToyWorld.vocabulary()).length);
        }
    }

    @Tag("slow")
    @Test
    void reducedDemoMeetsItsThresholds() throws IOException {
        Path out = tmp.resolve("demo");
        assertEquals(0, Cli.run("demo", "--out", out.toString(), "--batch", "8",
                "--sweep", "ring:6,ring:10,ring:14,ring:20").exit);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        StringBuilder failed = new StringBuilder();
        for (JsonNode c : summary.get("claims")) {
            if (!c.get("holds").asBoolean()) failed.append(c.get("name").asText()).append(" = ").append(c.get("value")).append("; ");
        }
        assertEquals("", failed.toString(), "claims that do not hold");
        assertTrue(out.resolve("report.html").toFile().length() > 10_000);
    }
}
