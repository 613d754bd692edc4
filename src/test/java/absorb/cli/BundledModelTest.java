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

    /**
     * The demo as shipped: every claim holds with the default seed, and the claims that do not depend on where the
     * critical context is placed (accuracies, spectral alignment, the conflict) hold with every robustness seed too.
     * The energy-minimum and power-law claims are not stable across seeds for this model (the report says so).
     */
    @Tag("slow")
    @Test
    void demoMeetsItsThresholds() throws IOException {
        Path out = tmp.resolve("demo");
        assertEquals(0, Cli.run("demo", "--out", out.toString()).exit);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        StringBuilder failed = new StringBuilder(), unstable = new StringBuilder();
        for (JsonNode c : summary.get("claims")) {
            String name = c.get("name").asText();
            if (!c.get("holds").asBoolean()) failed.append(name).append(" = ").append(c.get("value")).append("; ");
            boolean robust = !name.startsWith("graphs.power_law") && !name.equals("graphs.grid.energy_min_before_rise");
            if (robust && !c.get("holds_across_seeds").asText().startsWith("4 of 4")) {
                unstable.append(name).append(": ").append(c.get("holds_across_seeds").asText()).append("; ");
            }
        }
        assertEquals("", failed.toString(), "claims that do not hold");
        assertEquals("", unstable.toString(), "claims that should hold with every seed");
        assertTrue(out.resolve("report.html").toFile().length() > 10_000);
    }
}
