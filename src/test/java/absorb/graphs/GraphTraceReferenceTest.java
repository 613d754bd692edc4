package absorb.graphs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import absorb.model.Compute;
import absorb.model.LanguageModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Accuracy and Dirichlet energy on a tiny random word-level model against an independent computation with
 * transformers and numpy on the same checkpoint and sequences (tools/make_graph_fixtures.py).
 */
class GraphTraceReferenceTest {
    private static final Path DIR = Path.of("src/test/resources/fixtures/graphs");

    @Test
    void accuracyAndEnergyMatchTheReference() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
        List<String> words = new ArrayList<>();
        ref.get("words").forEach(w -> words.add(w.asText()));
        TraceConfig c = new TraceConfig(DIR.resolve("model"), null, ref.get("graph").asText(), words, false, "walk", 40, 4,
                "all", ref.get("window").asInt(), 30, 0, DIR.resolve("sequences.json"), "float32");
        try (LanguageModel lm = LanguageModel.load(DIR.resolve("model"), Compute.CPU_FLOAT32)) {
            GraphTrace.Result r = GraphTrace.run(c, lm, s -> { });
            for (int k = 0; k < r.positions().length; k++) {
                int t = r.positions()[k];
                assertEquals(ref.get("accuracy_full").get(t).asDouble(), r.accuracyFull()[k], 1e-4, "full, position " + t);
                assertEquals(ref.get("accuracy_graph").get(t).asDouble(), r.accuracyGraph()[k], 1e-4, "graph, position " + t);
            }
            for (String hook : List.of("blocks.0.resid_post", "blocks.1.resid_post")) {
                GraphTrace.HookMeasures m = r.hooks().get(hook);
                JsonNode e = ref.get("energy").get(hook);
                for (int k = 0; k < m.positions().length; k++) {
                    int t = m.positions()[k];
                    double raw = e.get("raw").get(t).asDouble(), norm = e.get("normalized").get(t).asDouble();
                    assertEquals(raw, m.energyRaw()[k], 1e-4 * Math.max(1, Math.abs(raw)), hook + " raw, position " + t);
                    assertEquals(norm, m.energyNormalized()[k], 1e-4, hook + " normalized, position " + t);
                }
            }
        }
    }
}
