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
 * @param conventions where absorb and the study's code differ, which one to follow
 */
public record TraceConfig(Path model, Path adapter, String graph, List<String> words, boolean shuffleWords,
        String sampling, int context, int batch, String layers, int window, int gridPoints, long seed,
        Path sequences, String dtype, Conventions conventions) {

    /**
     * The choices where absorb's definitions and the study's code (ajyl/ICLR_ICLR) differ, and what its code has
     * beside them.
     *
     * @param energy the normalised Dirichlet energy figures and claims use: "centred" (absorb's: word means centred,
     *     unit Frobenius norm, summed over edges) or "paper" (the study's notebooks: not centred, unit Frobenius norm,
     *     summed over edges, averaged over dimensions); metrics.json records both
     * @param window which positions a word mean at position t covers: "absorb", (t - w, t] (w positions), or
     *     "paper", [t - w, t] (w + 1 positions)
     * @param separator text after each neighbour pair (the study's ring runs use " /"; null: none); one token for the
     *     model, with pairs sampling only
     * @param randomInit measure a model with the same configuration and random weights (normal, std 0.02, norms 1;
     *     seeded by {@code seed}) instead of the trained one, as a baseline
     */
    public record Conventions(String energy, String window, String separator, boolean randomInit) {
        public static final Conventions ABSORB = new Conventions("centred", "absorb", null, false);

        public Conventions {
            if (!energy.equals("centred") && !energy.equals("paper")) {
                throw new AbsorbException("--energy " + energy + " is not known; use centred or paper.");
            }
            if (!window.equals("absorb") && !window.equals("paper")) {
                throw new AbsorbException("--window-convention " + window + " is not known; use absorb or paper.");
            }
            if (separator != null && separator.isEmpty()) separator = null;
        }

        /** The first position of the window of a word mean at position {@code t}. */
        public int windowStart(int t, int w) {
            return window.equals("paper") ? t - w : t - w + 1;
        }
    }

    /** A run with absorb's conventions. */
    public TraceConfig(Path model, Path adapter, String graph, List<String> words, boolean shuffleWords, String sampling,
            int context, int batch, String layers, int window, int gridPoints, long seed, Path sequences, String dtype) {
        this(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window, gridPoints, seed,
                sequences, dtype, Conventions.ABSORB);
    }

    public TraceConfig {
        checkSampling("--sampling", sampling);
        if (context < 4) throw new AbsorbException("--context must be at least 4 tokens, not " + context + ".");
        if (batch < 1) throw new AbsorbException("--batch must be at least 1, not " + batch + ".");
        if (window < 1) throw new AbsorbException("--window must be at least 1, not " + window + ".");
        if (gridPoints < 4) throw new AbsorbException("--positions must be at least 4, not " + gridPoints + ".");
        if (conventions == null) conventions = Conventions.ABSORB;
        if (conventions.separator() != null && !sampling.equals("pairs")) {
            throw new AbsorbException("--separator goes between neighbour pairs: it needs --sampling pairs.");
        }
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
                seed, sequences, dtype, conventions);
    }

    public TraceConfig withWords(List<String> w, boolean shuffle) {
        return new TraceConfig(model, adapter, graph, w, shuffle, sampling, context, batch, layers, window, gridPoints,
                seed, sequences, dtype, conventions);
    }

    public TraceConfig withSampling(String s) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, s, context, batch, layers, window, gridPoints,
                seed, sequences, dtype, conventions);
    }

    public TraceConfig withContext(int c, int w) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, c, batch, layers, w, gridPoints,
                seed, sequences, dtype, conventions);
    }

    public TraceConfig withLayers(String l) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, l, window,
                gridPoints, seed, sequences, dtype, conventions);
    }

    public TraceConfig withConventions(Conventions c) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window,
                gridPoints, seed, sequences, dtype, c);
    }

    public TraceConfig withPositions(int points) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window,
                points, seed, sequences, dtype, conventions);
    }

    public TraceConfig withBatch(int b) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, b, layers, window,
                gridPoints, seed, sequences, dtype, conventions);
    }

    public TraceConfig withSeed(long s) {
        return new TraceConfig(model, adapter, graph, words, shuffleWords, sampling, context, batch, layers, window,
                gridPoints, s, sequences, dtype, conventions);
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
        o.put("energy", conventions.energy());
        o.put("window_convention", conventions.window());
        if (conventions.separator() != null) o.put("separator", conventions.separator());
        if (conventions.randomInit()) o.put("random_init", true);
        return o;
    }
}
