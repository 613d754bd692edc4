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
     * The demo as shipped: the claims this model shows (accuracies, spectral alignment, the conflict) hold with the
     * default seed and with every robustness seed. The claims placed on t* (the energy minimum before it, its power
     * law) do not hold for this model (its accuracy reaches one half after about ten words whatever the ring's size;
     * README, "What the demo shows"): they must be measured and reported with their numbers, not hold.
     */
    @Tag("slow")
    @Test
    void demoMeetsItsThresholds() throws IOException {
        Path out = tmp.resolve("demo");
        assertEquals(0, Cli.run("demo", "--out", out.toString()).exit);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        StringBuilder unstable = new StringBuilder();
        int onTStar = 0;
        for (JsonNode c : summary.get("claims")) {
            String name = c.get("name").asText();
            boolean shown = !name.startsWith("graphs.power_law") && !name.equals("graphs.grid.energy_min_before_rise");
            if (!shown) {
                onTStar++;
                assertTrue(c.get("value").isNumber(), name + " is measured");
                assertEquals(4, c.get("other_seeds").size() + 1, name + " is measured with every seed");
            } else if (!c.get("holds").asBoolean() || !c.get("holds_across_seeds").asText().startsWith("4 of 4")) {
                unstable.append(name).append(" = ").append(c.get("value")).append(": ")
                        .append(c.get("holds_across_seeds").asText()).append("; ");
            }
        }
        assertEquals(3, onTStar);
        assertEquals("", unstable.toString(), "claims that should hold with every seed");
        assertTrue(summary.get("readings").get("graphs.power_law_reach.r2").asDouble() >= 0.9,
                "the t_reach power law fits");
        assertTrue(out.resolve("report.html").toFile().length() > 10_000);
    }
}
