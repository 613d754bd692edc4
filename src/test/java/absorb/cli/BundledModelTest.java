package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.graphs.Words;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.report.Chromium;
import absorb.toy.ToyPretrain;
import absorb.toy.ToyWorld;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /** The shipped model's training record matches the preset that `toy pretrain --size small` trains. */
    @Test
    void bundledModelRecordsThePresetItWasTrainedWith() throws IOException {
        JsonNode toy = new ObjectMapper().readTree(MODEL.resolve("toy_config.json").toFile());
        List<ToyPretrain.Phase> phases = ToyPretrain.Size.of("small").phases();
        assertEquals(phases.size(), toy.get("phases").asInt());
        assertEquals(phases.size() - 1, toy.get("earlier_phases").size());
        for (int k = 0; k < phases.size(); k++) {
            JsonNode rec = k < phases.size() - 1 ? toy.get("earlier_phases").get(k) : toy;
            ToyPretrain.Phase p = phases.get(k);
            assertEquals(k, rec.get("seed").asInt());
            assertEquals(p.steps(), rec.get("steps").asInt());
            assertEquals(p.length(), rec.get("sequence_words").asInt());
            assertEquals(p.batch(), rec.get("batch").asInt());
            assertEquals(p.lr(), rec.get("lr").asDouble());
            assertEquals(p.warmup(), rec.get("warmup").asInt());
            assertEquals(p.pairShare(), rec.get("pair_share").asDouble());
        }
    }

    /**
     * The demo as shipped: every claim holds with the default seed and with every robustness seed (the ablation claims
     * included), and the readings beside the claims (the power laws on random walks, the energy claim under the
     * study's definition) are measured and reported.
     */
    @Tag("slow")
    @Test
    void demoMeetsItsThresholds() throws IOException {
        Path out = tmp.resolve("demo");
        assertEquals(0, Cli.run("demo", "--only", "graphs", "--out", out.toString()).exit);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        StringBuilder failing = new StringBuilder();
        for (JsonNode c : summary.get("claims")) {
            assertEquals(3, c.get("other_seeds").size(), c.get("name").asText() + " is measured with every seed");
            if (!c.get("holds").asBoolean() || !c.get("holds_across_seeds").asText().startsWith("4 of 4")) {
                failing.append(c.get("name").asText()).append(" = ").append(c.get("value")).append(": ")
                        .append(c.get("holds_across_seeds").asText()).append("; ");
            }
        }
        assertEquals(11, summary.get("claims").size());
        assertEquals("", failing.toString(), "claims that should hold with every seed");
        JsonNode readings = summary.get("readings");
        assertTrue(readings.get("graphs.grid.energy_min_paper.position").isNumber(), "the energy claim under the study's definition");
        assertEquals(3, readings.get("graphs.grid.energy_min_paper.other_seeds").size());
        assertTrue(Files.isRegularFile(out.resolve("ablation_grid_4x4/ablation.json"))
                && Files.isRegularFile(out.resolve("ablation_grid_4x4/heads.json")));
        for (String r : List.of("graphs.power_law_walks", "graphs.power_law_reach")) {
            assertTrue(readings.get(r + ".r2").isNumber(), r + " is measured");
            assertEquals(3, readings.get(r + ".other_seeds").size(), r + " is measured with every seed");
        }
        assertTrue(Files.isRegularFile(out.resolve("sweep/sweep.json")) && Files.isRegularFile(out.resolve(
                "sweep_walks/sweep.json")));
        assertTrue(out.resolve("report.html").toFile().length() > 10_000);
        if (Chromium.executable().isPresent()) { // the report as a browser shows it (skipped without Chromium)
            DemoReportTest.assertReportShowsEveryFigure(out);
            Chromium.screenshot(out.resolve("report.html"), DemoReportTest.SCREENSHOT.resolveSibling("demo.png"), 1200, 4000);
        }
    }
}
