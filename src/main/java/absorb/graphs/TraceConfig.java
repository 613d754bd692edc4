package absorb.graphs;

import absorb.AbsorbException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * One graph-tracing run, everything needed to repeat it.
 *
 * @param graph grid:RxC, ring:N, hex:RxC or an edge-list file
 * @param words the word list (null: the 30 default words)
 * @param shuffleWords assign words to nodes shuffled with the seed (else in order)
 * @param sampling "walk" (random walks) or "pairs" (neighbour pairs)
 * @param context word tokens per sequence (the prompt is BOS, when the model uses one, then these)
 * @param batch sequences; sequence k starts at node k mod n
 * @param layers "all", or hook points / block indices separated by commas
 * @param window N_w: word means use the last N_w positions up to each measured position
 * @param gridPoints how many measured positions, log-spaced over the context
 * @param sequences a sequences.json to evaluate instead of sampling (null: sample)
 */
public record TraceConfig(Path model, Path adapter, String graph, List<String> words, boolean shuffleWords,
        String sampling, int context, int batch, String layers, int window, int gridPoints, long seed,
        Path sequences, String dtype) {

    public TraceConfig {
        checkSampling("--sampling", sampling);
        if (context < 4) throw new AbsorbException("--context must be at least 4 tokens, not " + context + ".");
        if (batch < 1) throw new AbsorbException("--batch must be at least 1, not " + batch + ".");
        if (window < 1) throw new AbsorbException("--window must be at least 1, not " + window + ".");
        if (gridPoints < 4) throw new AbsorbException("--positions must be at least 4, not " + gridPoints + ".");
    }

    /** Refuses a sampling other than walk or pairs, naming the {@code option} that gave it. */
    public static void checkSampling(String option, String sampling) {
        if (!sampling.equals("walk") && !sampling.equals("pairs")) {
            throw new AbsorbException(option + " " + sampling + " is not known; use walk or pairs.");
        }
    }

    /** The sequences this configuration samples, in words: "random walks" or "neighbour pairs". */
    public String samplingInWords() {
        return sampling.equals("pairs") ? "neighbour pairs" : "random walks";
    }

    public static TraceConfig defaults(Path model, String graph) {
        return new TraceConfig(model, null, graph, null, false, "walk", 1200, 16, "all", 200, 40, 0, null, "float32");
    }

    public TraceConfig withGraph(String g) {
        return new TraceConfig(model, adapter, g, words, shuffleWords, sampling, context, batch, layers, window, gridPoints,
                seed, sequences, dtype);
    }

    public TraceConfig withWords(List<String> w, boolean shuffle) {
        return new TraceConfig(model, adapter, graph, w, shuffle, sampling, context, batch, layers, window, gridPoints,
                seed, sequences, dtype);
    }

    public TraceConfig withSampling(String s) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, s, context, batch, layers, window, gridPoints,
                seed, sequences, dtype);
    }

    public TraceConfig withContext(int c, int w) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, c, batch, layers, w, gridPoints,
                seed, sequences, dtype);
    }

    public TraceConfig withLayers(String l) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, l, window,
                gridPoints, seed, sequences, dtype);
    }

    public TraceConfig withPositions(int points) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window,
                points, seed, sequences, dtype);
    }

    public TraceConfig withBatch(int b) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, b, layers, window,
                gridPoints, seed, sequences, dtype);
    }

    public TraceConfig withSeed(long s) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window,
                gridPoints, s, sequences, dtype);
    }

    public ObjectNode toJson() {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("model", model.toString());
        if (adapter != null) o.put("adapter", adapter.toString());
        o.put("graph", graph);
        if (words != null) {
            ArrayNode w = o.putArray("words");
            words.forEach(w::add);
        }
        o.put("shuffle_words", shuffleWords);
        o.put("sampling", sampling);
        o.put("context", context);
        o.put("batch", batch);
        o.put("layers", layers);
        o.put("window", window);
        o.put("positions", gridPoints);
        o.put("seed", seed);
        if (sequences != null) o.put("sequences", sequences.toString());
        o.put("dtype", dtype);
        return o;
    }
}
