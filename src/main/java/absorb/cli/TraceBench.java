package absorb.cli;

import absorb.graphs.Graph;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.graphs.Walks;
import absorb.model.Forward;
import absorb.model.Transformer;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cost of recording for `absorb bench --graph-trace`: a 4x4 grid, 16 sequences of 1,200 words, every layer
 * recorded and measured at 40 positions, against a bare forward pass over the same tokens (no hooks, no logits).
 * Works on random weights: the 16 words are 16 distinct token ids and the first token stands for BOS.
 */
final class TraceBench {
    private TraceBench() {}

    static void run(Transformer model, int context, ObjectNode out) {
        Graph g = Graph.grid(4, 4);
        int[][] walks = Walks.randomWalks(g, 16, context, 3);
        long[] wordTokens = new long[16];
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            wordTokens[i] = 100 + 7L * i;
            words.add("w" + i);
        }
        long[][] ids = new long[16][context + 1];
        int[][] nodeOf = new int[16][context + 1];
        for (int b = 0; b < 16; b++) {
            nodeOf[b][0] = -1;
            for (int t = 0; t < context; t++) {
                ids[b][t + 1] = wordTokens[walks[b][t]];
                nodeOf[b][t + 1] = walks[b][t];
            }
        }
        TraceConfig config = new TraceConfig(Path.of("."), null, g.name(), words, false, "walk", context, 16, "all", 200,
                40, 3, null, "float32");
        GraphTrace.measure(config, g, words, wordTokens, ids, nodeOf, 1, model, s -> { }); // warm-up
        double bare = time(() -> {
            try (NDManager scope = model.compute().newManager()) {
                model.forward(scope, Forward.of(ids).withLogits(Transformer.Logits.NONE)).finalHidden().toFloatArray();
            }
        });
        double traced = time(() -> GraphTrace.measure(config, g, words, wordTokens, ids, nodeOf, 1, model, s -> { }));
        out.put("trace_tokens", 16L * (context + 1));
        out.put("bare_forward_s", Math.round(bare * 100) / 100.0);
        out.put("graph_trace_s", Math.round(traced * 100) / 100.0);
        out.put("graph_trace_over_forward", Math.round(traced / bare * 1000) / 1000.0);
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
