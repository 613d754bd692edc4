package absorb.graphs;

import absorb.AbsorbException;
import absorb.analysis.DirichletEnergy;
import absorb.analysis.Fits;
import absorb.analysis.Pca;
import absorb.analysis.Spectral;
import absorb.model.Forward;
import absorb.model.Compute;
import absorb.model.HookPoint;
import absorb.model.Intervention;
import absorb.io.JsonFiles;
import absorb.model.LanguageModel;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The graph-tracing experiment: words on the nodes of a graph, sequences that walk the graph, one forward pass over
 * them recording the residual stream, and the measures of the in-context representation study at a log-spaced grid
 * of context positions: rule-following accuracy, word means over a trailing window, their PCA, Dirichlet energy
 * and alignment with the graph's spectral embedding, and the critical context size.
 */
public final class GraphTrace {
    /**
     * Measures at one hook point, one entry per measured position: the normalised Dirichlet energy as absorb defines
     * it ({@code energyNormalized}: centred, unit Frobenius norm) and as the study's notebooks do ({@code energyPaper}:
     * not centred, unit Frobenius norm, averaged over dimensions), the raw energy, the spectral alignment, PCA.
     */
    public record HookMeasures(String hook, int[] positions, double[] energyNormalized, double[] energyRaw,
            double[] spectralR2, double[][] explained, int[] wordsSeen, Map<Integer, double[][]> snapshots,
            double[] energyPaper) {
        /** The normalised energy of a definition: "centred" or "paper" (see {@link TraceConfig.Conventions}). */
        public double[] energy(String definition) {
            return definition.equals("paper") ? energyPaper : energyNormalized;
        }
    }

    /** Everything a run measured. */
    public record Result(TraceConfig config, Graph graph, List<String> words, long[] wordTokens, long[][] tokenIds,
            int[][] nodes, int[] positions, double[] accuracyFull, double[] accuracyGraph, double chance,
            Map<String, HookMeasures> hooks, double[][] spectralEmbedding, double[] laplacianEigenvalues,
            CriticalContext critical, List<Integer> snapshotPositions, List<Intervention.Change> changes,
            double[] mseUniform) {}

    /**
     * The transition of accuracy against log context. t* is the midpoint of a sigmoid fitted to accuracy against
     * ln(position); the break of a two-piece linear fit is reported beside it ({@code tBreak}). The broken line marks
     * where a flat start ends, which a model that starts learning at once does not have; the sigmoid's midpoint is
     * where the rise is half done, defined for either shape. {@code tReach} is a second reading, for curves that rise
     * in two stages: the first measured position from which accuracy stays at or above {@link #REACH} (NaN if it
     * never does).
     */
    public record CriticalContext(String method, double tStar, double accuracyBefore, double accuracyAfter,
            double tBreak, double tReach, String measure) {
        public static final double REACH = 0.9;

        public static final String METHOD = "midpoint of a least-squares sigmoid fit of accuracy (full-vocabulary"
                + " variant) against ln(position): accuracy = lo + (hi - lo) / (1 + exp(-(ln t - ln t*) / w)), with lo"
                + " and hi in [0, 1]";
    }

    private GraphTrace() {}

    /**
     * The sequences a run reads: {@code ids} [batch][length] (BOS, when the model uses one, then the words), the node
     * of every token ({@code nodeOf}, -1 for BOS), word tokens from {@code offset} on.
     */
    public record Sequences(Graph graph, List<String> words, long[] wordTokens, long[][] ids, int[][] nodeOf, int offset) {}

    /** Runs {@code config} on an already loaded model; {@code progress} receives one-line updates. */
    public static Result run(TraceConfig config, LanguageModel lm, Consumer<String> progress) {
        Sequences s = sequences(config, lm);
        return measure(config, s.graph(), s.words(), s.wordTokens(), s.ids(), s.nodeOf(), s.offset(), lm.transformer(),
                progress);
    }

    /** The graph, its words and the sequences {@code config} describes, for {@code lm}'s tokenizer. */
    public static Sequences sequences(TraceConfig config, LanguageModel lm) {
        Graph graph = Graph.parse(config.graph());
        List<String> pool = config.words() != null ? config.words() : Words.DEFAULT;
        List<String> words = Words.assign(pool, graph.size(), config.shuffleWords(), config.seed());
        long[] wordTokens = Words.tokenIds(lm.tokenizer(), words);
        Long separator = separatorToken(config, lm);
        boolean bos = lm.tokenizer().addsBos();
        int offset = bos ? 1 : 0;
        int[][] nodes;
        if (config.sequences() != null) {
            nodes = readNodes(config.sequences(), offset);
        } else {
            nodes = config.sampling().equals("walk")
                    ? Walks.randomWalks(graph, config.batch(), config.context(), config.seed())
                    : Walks.neighbourPairs(graph, config.batch(), config.context(), config.seed());
        }
        for (int[] row : nodes) for (int v : row) {
            if (v < 0 || v >= graph.size()) throw new AbsorbException("A sequence names node " + v + ", not in " + graph.name() + ".");
        }
        long[][][] built = tokens(nodes, wordTokens, bos ? (long) lm.tokenizer().bosId() : null, separator);
        int[][] nodeOf = new int[built[1].length][];
        for (int b = 0; b < nodeOf.length; b++) nodeOf[b] = java.util.Arrays.stream(built[1][b]).mapToInt(v -> (int) v).toArray();
        return new Sequences(graph, words, wordTokens, built[0], nodeOf, offset);
    }

    /**
     * The token ids [0] and the node of each token [1] (-1 for BOS and separators) of node sequences: BOS (when not
     * null), then the words, with {@code separator} (when not null) after each pair of them.
     */
    static long[][][] tokens(int[][] nodes, long[] wordTokens, Long bos, Long separator) {
        int batch = nodes.length, words = nodes[0].length, offset = bos != null ? 1 : 0;
        int length = offset + words + (separator != null ? words / 2 : 0);
        long[][] ids = new long[batch][length], nodeOf = new long[batch][length];
        for (int b = 0; b < batch; b++) {
            int t = 0;
            if (bos != null) {
                ids[b][t] = bos;
                nodeOf[b][t++] = -1;
            }
            for (int k = 0; k < words; k++) {
                ids[b][t] = wordTokens[nodes[b][k]];
                nodeOf[b][t++] = nodes[b][k];
                if (separator != null && k % 2 == 1) {
                    ids[b][t] = separator;
                    nodeOf[b][t++] = -1;
                }
            }
        }
        return new long[][][] {ids, nodeOf};
    }

    /** The normalised energy {@code config} reports, in words: "unit-norm, centred" or the study's. */
    public static String energyInWords(TraceConfig config) {
        return config.conventions().energy().equals("paper") ? "uncentred, unit-Frobenius-norm (averaged over"
                + " dimensions, the study's notebooks)" : "unit-norm, centred";
    }

    /** The separator's token, or null; refuses a separator that is not one token for the model. */
    private static Long separatorToken(TraceConfig config, LanguageModel lm) {
        String sep = config.conventions().separator();
        if (sep == null) return null;
        long[] t = lm.tokenizer().encodePlain(sep);
        if (t.length != 1 || (lm.tokenizer().unkId() != null && t[0] == lm.tokenizer().unkId())) {
            throw new AbsorbException("The separator \"" + sep + "\" is " + (t.length == 1 ? "not in this model's vocabulary"
                    : t.length + " tokens for this model") + "; it must be a single token.");
        }
        return t[0];
    }

    /** Tokens per period of the measured positions: 1 for walks, 2 for pairs, 3 for pairs with a separator. */
    static int period(TraceConfig config) {
        if (!config.sampling().equals("pairs")) return 1;
        return config.conventions().separator() != null ? 3 : 2;
    }

    /**
     * The measuring part of {@link #run}, for sequences already made: {@code ids} [batch][length] with {@code nodeOf}
     * the node of every token (-1 for BOS), word tokens starting at {@code offset}.
     */
    public static Result measure(TraceConfig config, Graph graph, List<String> words, long[] wordTokens, long[][] ids,
            int[][] nodeOf, int offset, Transformer t, Consumer<String> progress) {
        return measure(config, graph, words, wordTokens, ids, nodeOf, offset, t, progress, List.of());
    }

    /**
     * {@link #measure} with {@code interventions} in the forward pass (ablated heads, patched points); each must change
     * what it writes (see {@link Transformer.Output#requireChanges()}), and the result records what they changed.
     */
    public static Result measure(TraceConfig config, Graph graph, List<String> words, long[] wordTokens, long[][] ids,
            int[][] nodeOf, int offset, Transformer t, Consumer<String> progress, List<Intervention> interventions) {
        int batch = ids.length, length = ids[0].length;
        int[] positions = grid(offset, length, config.gridPoints(), period(config));
        List<Integer> snapshots = snapshotPositions(positions);
        List<String> hooks = hookPoints(config.layers(), t.layers());
        double[][] spectral = Spectral.embedding(graph.size(), graph.edges(), 2);
        progress.accept(String.format("%s: %d words on %d nodes, %d sequences of %d tokens, %d hook points, %d positions",
                graph.name(), words.size(), graph.size(), batch, length, hooks.size(), positions.length));

        Recorder recorder = new Recorder(graph, nodeOf, positions, snapshots, config.window(), offset, hooks, spectral,
                config.conventions());
        double[][] acc;
        List<Intervention.Change> changes;
        long t0 = System.nanoTime();
        try (NDManager scope = t.compute().newManager()) {
            Transformer.Output out = t.forward(scope, Forward.of(ids).withHook(recorder).withLogits(Transformer.Logits.NONE)
                    .withInterventions(interventions)).requireChanges();
            changes = out.changes();
            acc = accuracy(scope, t, out.finalHidden(), graph, nodeOf, positions, wordTokens);
        }
        progress.accept(String.format("%s: forward pass and measures in %.1f s", graph.name(), (System.nanoTime() - t0) / 1e9));
        double chance = 0;
        for (int[] nb : graph.neighbours()) chance += (double) nb.length / graph.size() / graph.size();
        CriticalContext critical = critical(positions, acc[0]);
        return new Result(config, graph, words, wordTokens, ids, nodeOf, positions, acc[0], acc[1], chance,
                recorder.measures(), spectral, Spectral.eigenvalues(graph.size(), graph.edges()), critical, snapshots,
                changes, acc[2]);
    }

    /**
     * About {@code points} positions from the first word to the last token, evenly spaced in log(position + 1)
     * (repeats at the small end merge, so there can be fewer); the last token is always included. With
     * {@code period} 2 (neighbour pairs) or 3 (pairs and a separator), each position moves down to the first word of
     * its pair, whose next word the rule decides.
     */
    static int[] grid(int first, int length, int points, int period) {
        TreeSet<Integer> out = new TreeSet<>();
        double lo = Math.log(first + 1), hi = Math.log(length);
        for (int i = 0; i < points; i++) {
            int p = (int) Math.round(Math.exp(lo + (hi - lo) * i / (points - 1))) - 1;
            p = Math.max(first, Math.min(length - 1, p));
            out.add(p - (p - first) % period);
        }
        out.add(length - 1 - ((length - 1 - first) % period));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Positions whose PCA coordinates are kept: about a tenth and a third of the way, and the end. */
    static List<Integer> snapshotPositions(int[] positions) {
        int last = positions[positions.length - 1];
        LinkedHashSet<Integer> s = new LinkedHashSet<>();
        for (double f : new double[] {0.1, 1.0 / 3}) {
            int best = positions[0];
            for (int p : positions) if (Math.abs(p - f * last) < Math.abs(best - f * last)) best = p;
            s.add(best);
        }
        s.add(last);
        return new ArrayList<>(s);
    }

    static List<String> hookPoints(String spec, int layers) {
        List<String> out = new ArrayList<>();
        if (spec.equals("all")) {
            for (int i = 0; i < layers; i++) out.add(HookPoint.residPost(i));
            return out;
        }
        for (String part : spec.split(",")) {
            String p = part.strip();
            if (p.matches("-?\\d+")) {
                int i = Integer.parseInt(p);
                if (i < 0) i += layers;
                if (i < 0 || i >= layers) throw new AbsorbException("--layers " + p + " is not a block of this " + layers + "-layer model.");
                out.add(HookPoint.residPost(i));
            } else {
                HookPoint.layerOf(p, layers);
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Probability on the valid next words (the neighbours of the current word) at each measured position,
     * averaged over the batch: [0] softmax over the whole vocabulary, [1] softmax over the graph's words only; [2] the
     * study's mean squared error of the graph-words distribution against the uniform one over the neighbours,
     * mean over the n words of (p(v) - [v adjacent] / degree)^2.
     */
    private static double[][] accuracy(NDManager scope, Transformer t, NDArray hidden, Graph g, int[][] nodeOf,
            int[] positions, long[] wordTokens) {
        int batch = nodeOf.length, length = nodeOf[0].length, n = g.size(), p = positions.length;
        long[] rows = new long[batch * p];
        for (int b = 0; b < batch; b++) for (int k = 0; k < p; k++) rows[b * p + k] = (long) b * length + positions[k];
        NDArray h = hidden.reshape(-1, hidden.getShape().get(2)).get(scope.create(rows));
        NDArray logProbs = t.lmHead(h).logSoftmax(1);
        NDArray columns = scope.create(wordTokens).broadcast(new Shape(batch * p, n));
        float[] lp = logProbs.gather(columns, 1).toFloatArray(); // log p(word v) for each graph word v
        double[] full = new double[p], words = new double[p], mse = new double[p];
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < p; k++) {
                int u = nodeOf[b][positions[k]];
                double total = 0, valid = 0, max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < n; v++) max = Math.max(max, lp[(b * p + k) * n + v]);
                for (int v = 0; v < n; v++) {
                    double pr = Math.exp(lp[(b * p + k) * n + v]);
                    total += Math.exp(lp[(b * p + k) * n + v] - max);
                    if (g.adjacent(u, v)) {
                        full[k] += pr / batch;
                        valid += Math.exp(lp[(b * p + k) * n + v] - max);
                    }
                }
                words[k] += valid / total / batch;
                int degree = g.neighbours()[u].length;
                double se = 0;
                for (int v = 0; v < n; v++) {
                    double q = Math.exp(lp[(b * p + k) * n + v] - max) / total - (g.adjacent(u, v) ? 1.0 / degree : 0);
                    se += q * q;
                }
                mse[k] += se / n / batch;
            }
        }
        return new double[][] {full, words, mse};
    }

    static CriticalContext critical(int[] positions, double[] accuracy) {
        int n = positions.length;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.log(positions[i]);
        Fits.Sigmoid s = Fits.sigmoid(x, accuracy, 0, 1);
        Fits.BrokenLine b = Fits.brokenLine(x, accuracy);
        return new CriticalContext(CriticalContext.METHOD, Math.exp(s.x0()), s.lo(), s.hi(), Math.exp(b.x0()),
                reach(positions, accuracy, CriticalContext.REACH), "accuracy.full_vocab");
    }

    /** The first position from which accuracy stays at or above {@code level} to the end; NaN if none. */
    static double reach(int[] positions, double[] accuracy, double level) {
        double at = Double.NaN;
        for (int i = positions.length - 1; i >= 0 && accuracy[i] >= level; i--) at = positions[i];
        return at;
    }

    private static int[][] readNodes(Path file, int offset) {
        JsonNode nodes = JsonFiles.readObject(file, "Sequences file").get("nodes");
        if (nodes == null || !nodes.isArray() || nodes.isEmpty()) throw new AbsorbException("Sequences file " + file + " has no nodes.");
        int[][] out = new int[nodes.size()][];
        for (int b = 0; b < out.length; b++) {
            JsonNode row = nodes.get(b);
            List<Integer> ns = new ArrayList<>();
            for (JsonNode v : row) if (v.asInt() >= 0) ns.add(v.asInt());
            out[b] = ns.stream().mapToInt(Integer::intValue).toArray();
            if (out[b].length != out[0].length) throw new AbsorbException("Sequences in " + file + " differ in length.");
        }
        return out;
    }

    /** Streams each hook point's residual into per-position window means and their measures, keeping no tensors. */
    static final class Recorder implements Transformer.ResidualHook {
        private final Graph graph;
        private final int[][] nodeOf;
        private final int[] positions;
        private final List<Integer> snapshots;
        private final int window, first;
        private final List<String> hooks;
        private final double[][] spectral;
        private final TraceConfig.Conventions conventions;
        private final Map<String, HookMeasures> measures = new LinkedHashMap<>();

        Recorder(Graph graph, int[][] nodeOf, int[] positions, List<Integer> snapshots, int window, int first,
                List<String> hooks, double[][] spectral, TraceConfig.Conventions conventions) {
            this.graph = graph;
            this.nodeOf = nodeOf;
            this.positions = positions;
            this.snapshots = snapshots;
            this.window = window;
            this.first = first;
            this.hooks = hooks;
            this.spectral = spectral;
            this.conventions = conventions;
        }

        @Override
        public boolean wants(String hookPoint) {
            return hooks.contains(hookPoint);
        }

        @Override
        public void accept(String hook, NDArray residual) {
            int p = positions.length;
            double[] eN = new double[p], eR = new double[p], r2 = new double[p], eP = new double[p];
            double[][] explained = new double[p][];
            int[] seen = new int[p];
            Map<Integer, double[][]> snaps = new LinkedHashMap<>();
            try (NDManager scope = residual.getManager().newSubManager()) {
                NDArray x = Compute.cast(residual, DataType.FLOAT32);
                if (x != residual) x.attach(scope); // a cast copy is ours to free; the residual is the forward pass's
                for (int k = 0; k < p; k++) {
                    double[][] means = windowMeans(scope, x, positions[k]);
                    for (double[] m : means) if (m != null) seen[k]++;
                    eN[k] = DirichletEnergy.normalized(means, graph.edges());
                    eR[k] = DirichletEnergy.energy(means, graph.edges());
                    eP[k] = DirichletEnergy.paperNormalized(means, graph.edges());
                    double[][] present = compact(means);
                    if (present.length >= 4) {
                        Pca pca = Pca.of(present, 4);
                        explained[k] = java.util.Arrays.copyOf(pca.explained(), Math.min(5, pca.explained().length));
                        double[][] coords = expand(means, pca.coordinates());
                        r2[k] = Spectral.alignmentR2(top(coords, 2), spectral);
                        if (snapshots.contains(positions[k])) snaps.put(positions[k], coords);
                    } else {
                        explained[k] = new double[0];
                        r2[k] = Double.NaN;
                    }
                }
            }
            measures.put(hook, new HookMeasures(hook, positions, eN, eR, r2, explained, seen, snaps, eP));
        }

        /**
         * Mean residual of each word over the positions (t - window, t] of every sequence ([t - window, t] with the
         * study's convention); null if absent.
         */
        private double[][] windowMeans(NDManager scope, NDArray x, int t) {
            int batch = nodeOf.length, n = graph.size();
            int start = Math.max(first, conventions.windowStart(t, window)), w = t - start + 1;
            float[] onehot = new float[n * batch * w];
            int[] count = new int[n];
            for (int b = 0; b < batch; b++) {
                for (int s = 0; s < w; s++) {
                    int v = nodeOf[b][start + s];
                    if (v < 0) continue;
                    onehot[v * batch * w + b * w + s] = 1;
                    count[v]++;
                }
            }
            long d = x.getShape().get(2);
            NDArray slice = x.get(":, " + start + ":" + (t + 1) + ", :").reshape(batch * (long) w, d);
            float[] sums = scope.create(onehot, new Shape(n, (long) batch * w)).matMul(slice).toFloatArray();
            double[][] means = new double[n][];
            for (int v = 0; v < n; v++) {
                if (count[v] == 0) continue;
                means[v] = new double[(int) d];
                for (int j = 0; j < d; j++) means[v][j] = sums[(int) (v * d + j)] / count[v];
            }
            return means;
        }

        Map<String, HookMeasures> measures() {
            return measures;
        }

        private static double[][] compact(double[][] rows) {
            return java.util.Arrays.stream(rows).filter(java.util.Objects::nonNull).toArray(double[][]::new);
        }

        /** Coordinates of the present rows put back at their node index (null for absent nodes). */
        private static double[][] expand(double[][] means, double[][] coords) {
            double[][] out = new double[means.length][];
            int k = 0;
            for (int i = 0; i < means.length; i++) if (means[i] != null) out[i] = coords[k++];
            return out;
        }

        private static double[][] top(double[][] coords, int k) {
            double[][] out = new double[coords.length][];
            for (int i = 0; i < coords.length; i++) {
                if (coords[i] != null) out[i] = java.util.Arrays.copyOf(coords[i], Math.min(k, coords[i].length));
            }
            return out;
        }
    }
}
