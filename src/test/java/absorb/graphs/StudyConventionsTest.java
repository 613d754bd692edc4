package absorb.graphs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The study's conventions against the study's own code (ajyl/ICLR_ICLR, run by tools/iclr_parity.py on the bundled
 * model and the same walks): accuracy in both variants, the mean squared error against the uniform distribution over
 * neighbours, and its normalised energy with its window [t - w, t], at every measured position and layer.
 */
class StudyConventionsTest {
    private static final Path DIR = Path.of("src/test/resources/fixtures/iclr");

    @TempDir
    Path tmp;

    private static GraphTrace.Result run(JsonNode ref, TraceConfig.Conventions conventions) {
        List<String> words = new ArrayList<>();
        ref.get("words").forEach(w -> words.add(w.asText()));
        TraceConfig c = new TraceConfig(Path.of(ref.get("model").asText()), null, ref.get("graph").asText(), words, false,
                "walk", 120, 16, "all", ref.get("window").asInt(), 40, 0, DIR.resolve("sequences.json"), "float32",
                conventions);
        try (LanguageModel lm = LanguageModel.load(c.model(), Compute.CPU_FLOAT32)) {
            return GraphTrace.run(c, lm, s -> { });
        }
    }

    @Test
    void accuracyMseAndEnergyAgreeWithTheStudysCode() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("reference.json").toFile());
        GraphTrace.Result r = run(ref, new TraceConfig.Conventions("paper", "paper", null, false));
        for (int k = 0; k < r.positions().length; k++) {
            int t = r.positions()[k];
            assertEquals(ref.get("accuracy_full").get(t).asDouble(), r.accuracyFull()[k], 2.5e-7, "full, position " + t);
            assertEquals(ref.get("accuracy_graph").get(t).asDouble(), r.accuracyGraph()[k], 2.5e-7, "graph, position " + t);
            assertEquals(ref.get("mse").get(t).asDouble(), r.mseUniform()[k], 1e-7, "mse, position " + t);
        }
        ref.get("energy_paper").fields().forEachRemaining(e -> {
            GraphTrace.HookMeasures m = r.hooks().get(e.getKey());
            for (int k = 0; k < m.positions().length; k++) {
                double expected = e.getValue().get(m.positions()[k]).asDouble();
                assertEquals(expected, m.energy("paper")[k], 1e-5 * expected, e.getKey() + " position " + m.positions()[k]);
            }
        });
        // absorb's window (t - w, t] is a different measurement: the word means of the two conventions differ
        GraphTrace.Result own = run(ref, TraceConfig.Conventions.ABSORB);
        double[] paper = r.hooks().get("blocks.1.resid_post").energyPaper(), ours = own.hooks().get("blocks.1.resid_post")
                .energyPaper();
        double largest = 0;
        for (int k = 0; k < paper.length; k++) largest = Math.max(largest, Math.abs(paper[k] - ours[k]) / paper[k]);
        assertTrue(largest > 1e-3, "the window conventions differ: " + largest);
    }

    @Test
    void separatorsAndSelfEdges() throws IOException {
        long[][][] t = GraphTrace.tokens(new int[][] {{0, 1, 2, 3}}, new long[] {10, 11, 12, 13}, 1L, 9L);
        assertEquals(List.of(1L, 10L, 11L, 9L, 12L, 13L, 9L), java.util.Arrays.stream(t[0][0]).boxed().toList());
        assertEquals(List.of(-1L, 0L, 1L, -1L, 2L, 3L, -1L), java.util.Arrays.stream(t[1][0]).boxed().toList());
        // with a separator, measured positions are each pair's first word: 1, 4, 7, ...
        for (int p : GraphTrace.grid(1, 1 + 60, 12, 3)) assertEquals(0, (p - 1) % 3, "position " + p);
        Path edges = tmp.resolve("edges.txt");
        Files.writeString(edges, "a b\nb c\nc a\na a\n");
        Graph g = Graph.parse(edges.toString());
        assertTrue(g.adjacent(0, 0), "a self-edge makes a its own neighbour");
        assertEquals(4, g.edges().length);
        AbsorbException e = assertThrows(AbsorbException.class, () -> new TraceConfig(Path.of("m"), null, "ring:6", null,
                false, "walk", 40, 2, "all", 10, 8, 0, null, "float32", new TraceConfig.Conventions("centred", "absorb",
                " /", false)));
        assertTrue(e.getMessage().contains("--separator goes between neighbour pairs"), e.getMessage());
        assertThrows(AbsorbException.class, () -> new TraceConfig.Conventions("raw", "absorb", null, false));
    }
}
