package absorb.graphs;

import absorb.AbsorbException;
import absorb.model.Forward;
import absorb.model.HookPoint;
import absorb.model.Intervention;
import absorb.model.LanguageModel;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Activation patching between two graphs over the same words. Run A reads walks on graph A; run B walks on graph B, by
 * default the same graph with the words on other nodes (a shuffled grid). Each pair of sequences ends with the same
 * word at the same position (the walks are drawn backwards from it), so that the model's next-word distribution there
 * answers either rule. The measure m is the whole-vocabulary probability at the last position on the neighbours of
 * the last word in A, averaged over the batch. One hook point at a time is copied from A's run into B's, and
 * restored fraction = (m(B patched) - m(B)) / (m(A) - m(B)): 1 where the point carries everything that makes A's run
 * follow A's rule, 0 where it carries nothing of it. A cell where A's and B's values are the same (a position whose
 * token and context agree) changes nothing and is left blank.
 */
public final class Patching {
    /**
     * @param trace the runs' settings (graph A, words, context, batch, seed)
     * @param graphB graph B's specification, or null for A's graph with its words shuffled (seeded)
     * @param points the residual-stream sites patched per layer and position (resid_pre, attn_out, mlp_out, ...)
     * @param lastPositions how many of the last positions are patched one at a time (then all of them at once)
     */
    public record Settings(TraceConfig trace, String graphB, List<HookPoint.Site> points, int lastPositions) {
        public Settings {
            if (lastPositions < 1) throw new AbsorbException("--last-positions must be at least 1, not " + lastPositions + ".");
            for (HookPoint.Site s : points) {
                if (!s.residualShaped() || s == HookPoint.Site.EMBED || s == HookPoint.Site.FINAL_NORM) {
                    throw new AbsorbException("--points " + s.suffix + " is not patched per position; use resid_pre,"
                            + " attn_out, resid_mid, mlp_out or resid_post (attn.z is patched per head anyway).");
                }
            }
            points = List.copyOf(points);
        }
    }

    /**
     * The restored fractions: {@code byPosition[site][layer][column]} for the last positions one at a time
     * ({@code positions}) and, in the last column, all positions at once; {@code byHead[layer][head]} for attn.z over
     * all positions. NaN where the patch changed nothing.
     */
    public record Result(Settings settings, Graph graphA, Graph graphB, List<String> wordsA, List<String> wordsB,
            double clean, double corrupted, int[] positions, double[][][] byPosition, double[][] byHead) {}

    private Patching() {}

    /** Parses a comma-separated list of sites ("resid_pre,attn_out"). */
    public static List<HookPoint.Site> sites(String list) {
        List<HookPoint.Site> out = new ArrayList<>();
        for (String name : list.split(",")) {
            String n = name.strip();
            HookPoint.Site found = null;
            for (HookPoint.Site s : HookPoint.Site.values()) if (s.suffix.equals(n)) found = s;
            if (found == null) {
                throw new AbsorbException("--points " + n + " is not a hook point of a block; use resid_pre, attn_out,"
                        + " resid_mid, mlp_out or resid_post.");
            }
            out.add(found);
        }
        return out;
    }

    public static Result run(Settings s, LanguageModel lm, Consumer<String> log) {
        TraceConfig c = s.trace();
        Graph a = Graph.parse(c.graph());
        List<String> words = Words.assign(c.words() != null ? c.words() : Words.DEFAULT, a.size(), c.shuffleWords(), c.seed());
        Graph b;
        List<String> wordsB;
        if (s.graphB() == null) {
            b = a;
            int[] perm = permutation(a.size(), new SplittableRandom(c.seed() + 7));
            wordsB = new ArrayList<>();
            for (int v = 0; v < a.size(); v++) wordsB.add(words.get(perm[v]));
        } else {
            b = Graph.parse(s.graphB());
            if (b.size() != a.size()) {
                throw new AbsorbException("--graph-b " + s.graphB() + " has " + b.size() + " nodes, graph A " + a.size()
                        + ": the two runs use the same words.");
            }
            wordsB = words;
        }
        long[] tokA = Words.tokenIds(lm.tokenizer(), words), tokB = Words.tokenIds(lm.tokenizer(), wordsB);
        Long bos = lm.tokenizer().addsBos() ? (long) lm.tokenizer().bosId() : null;
        int batch = c.batch(), n = a.size();
        int[][] walksA = new int[batch][], walksB = new int[batch][];
        SplittableRandom random = new SplittableRandom(c.seed());
        int[] last = new int[batch];
        for (int k = 0; k < batch; k++) {
            last[k] = k % n;
            walksA[k] = backwardWalk(a, last[k], c.context(), random);
            walksB[k] = backwardWalk(b, wordsB.indexOf(words.get(last[k])), c.context(), random);
        }
        long[][] idsA = GraphTrace.tokens(walksA, tokA, bos, null)[0], idsB = GraphTrace.tokens(walksB, tokB, bos, null)[0];
        int length = idsA[0].length;
        long[][] neighbourTokens = new long[batch][];
        for (int k = 0; k < batch; k++) {
            int[] nb = a.neighbours()[last[k]];
            neighbourTokens[k] = new long[nb.length];
            for (int j = 0; j < nb.length; j++) neighbourTokens[k][j] = tokA[nb[j]];
        }
        Transformer t = lm.transformer();
        double clean = measure(t, idsA, neighbourTokens, List.of()), corrupted = measure(t, idsB, neighbourTokens, List.of());
        log.accept(String.format(Locale.ROOT, "patching from %s into %s: p(A's rule) at the last position %.3f (A) and"
                + " %.3f (B)", a.name(), s.graphB() == null ? "the same graph with its words shuffled" : b.name(), clean,
                corrupted));
        if (clean - corrupted < 0.05) {
            throw new AbsorbException(String.format(Locale.ROOT, "Run A follows A's rule hardly better than run B (%.3f"
                    + " against %.3f), so no patch can restore much; use longer contexts or another graph B.", clean,
                    corrupted));
        }
        int cols = Math.min(s.lastPositions(), length - 1);
        int[] positions = new int[cols];
        for (int i = 0; i < cols; i++) positions[i] = length - cols + i;
        double[][][] byPosition = new double[s.points().size()][t.layers()][cols + 1];
        int heads = t.config().numAttentionHeads();
        double[][] byHead = new double[t.layers()][heads];
        for (int l = 0; l < t.layers(); l++) {
            for (int p = 0; p < s.points().size(); p++) {
                String point = HookPoint.of(s.points().get(p), l);
                try (NDManager keep = t.compute().newManager()) {
                    NDArray source = read(t, idsA, point, keep);
                    for (int i = 0; i <= cols; i++) {
                        Intervention iv = Intervention.replace(point, source);
                        if (i < cols) iv = iv.positions(positions[i]);
                        byPosition[p][l][i] = restored(t, idsB, neighbourTokens, iv, clean, corrupted);
                    }
                }
            }
            String z = HookPoint.attnZ(l);
            try (NDManager keep = t.compute().newManager()) {
                NDArray source = read(t, idsA, z, keep);
                for (int h = 0; h < heads; h++) {
                    byHead[l][h] = restored(t, idsB, neighbourTokens, Intervention.replace(z, source).heads(h), clean,
                            corrupted);
                }
            }
            log.accept("patched block " + l);
        }
        return new Result(s, a, b, words, wordsB, clean, corrupted, positions, byPosition, byHead);
    }

    /** (m(B with iv) - m(B)) / (m(A) - m(B)); NaN when iv changed nothing. */
    private static double restored(Transformer t, long[][] idsB, long[][] targets, Intervention iv, double clean,
            double corrupted) {
        double[] m = new double[1];
        boolean[] changed = new boolean[1];
        try (NDManager scope = t.compute().newManager()) {
            Transformer.Output out = t.forward(scope, Forward.of(idsB).withInterventions(List.of(iv))
                    .withLogits(Transformer.Logits.LAST));
            changed[0] = out.changes().get(0).changed();
            m[0] = rule(out.logits(), targets);
        }
        return changed[0] ? (m[0] - corrupted) / (clean - corrupted) : Double.NaN;
    }

    private static double measure(Transformer t, long[][] ids, long[][] targets, List<Intervention> ivs) {
        try (NDManager scope = t.compute().newManager()) {
            return rule(t.forward(scope, Forward.of(ids).withInterventions(ivs).withLogits(Transformer.Logits.LAST))
                    .logits(), targets);
        }
    }

    /** The mean over the batch of the whole-vocabulary probability on each row's target tokens. */
    private static double rule(NDArray lastLogits, long[][] targets) {
        int batch = targets.length;
        NDArray probs = lastLogits.reshape(batch, -1).softmax(1);
        float[] p = probs.toFloatArray();
        int vocab = (int) probs.getShape().get(1);
        double m = 0;
        for (int k = 0; k < batch; k++) for (long v : targets[k]) m += p[k * vocab + (int) v] / batch;
        return m;
    }

    private static NDArray read(Transformer t, long[][] ids, String point, NDManager keep) {
        NDArray[] kept = new NDArray[1];
        try (NDManager scope = t.compute().newManager()) {
            t.forward(scope, Forward.of(ids).withLogits(Transformer.Logits.NONE).withInterventions(List.of(
                    Intervention.read(point, x -> {
                        kept[0] = x.duplicate();
                        kept[0].attach(keep);
                    }))));
        }
        return kept[0];
    }

    /** A walk of {@code length} nodes that ends at {@code end}: a random walk from it, reversed. */
    static int[] backwardWalk(Graph g, int end, int length, SplittableRandom random) {
        int[] w = new int[length];
        int v = end;
        for (int i = length - 1; i >= 0; i--) {
            w[i] = v;
            int[] nb = g.neighbours()[v];
            v = nb[random.nextInt(nb.length)];
        }
        return w;
    }

    static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }

    /** The patching in a few sentences. */
    public static String reading(Result r) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "At the last position, run A puts %.3f of its"
                        + " probability on the last word's neighbours in A, run B %.3f.", r.clean(), r.corrupted()));
        for (int p = 0; p < r.settings().points().size(); p++) {
            double[][] v = r.byPosition()[p];
            int cols = r.positions().length;
            String site = r.settings().points().get(p).suffix;
            s.append(String.format(Locale.ROOT, " Copying %s at every position restores %s of the difference (blocks 0 to"
                    + " %d); at the last position alone, %s.", site, list(v, cols), v.length - 1, list(v, cols - 1)));
        }
        double best = Double.NEGATIVE_INFINITY;
        String head = null;
        for (int l = 0; l < r.byHead().length; l++) {
            for (int h = 0; h < r.byHead()[l].length; h++) {
                if (!Double.isNaN(r.byHead()[l][h]) && r.byHead()[l][h] > best) {
                    best = r.byHead()[l][h];
                    head = l + "." + h;
                }
            }
        }
        if (head != null) s.append(String.format(Locale.ROOT, " One head's output copied at every position restores at"
                + " most %.2f (head %s).", best, head));
        return s.toString();
    }

    private static String list(double[][] v, int column) {
        List<String> out = new ArrayList<>();
        for (double[] row : v) out.add(Double.isNaN(row[column]) ? "nothing (the same in both runs)"
                : String.format(Locale.ROOT, "%.2f", row[column]));
        return String.join(", ", out);
    }

    /** patching.json: both runs' measure, the restored fractions and what they mean. */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(Result r) {
        var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        o.put("graph_a", r.graphA().name());
        o.put("graph_b", r.settings().graphB() == null ? r.graphA().name() + " with its words shuffled" : r.graphB().name());
        var wa = o.putArray("words_a");
        r.wordsA().forEach(wa::add);
        var wb = o.putArray("words_b");
        r.wordsB().forEach(wb::add);
        o.put("measure", "whole-vocabulary probability at the last position on the neighbours in graph A of the last"
                + " word (the same word in both runs), mean over the batch");
        o.put("restored_definition", "(m(B with the point copied from A) - m(B)) / (m(A) - m(B)); null where the"
                + " copied values equal B's own");
        o.put("m_a", r.clean());
        o.put("m_b", r.corrupted());
        TraceOutput.ints(o.putArray("positions"), r.positions());
        var by = o.putObject("by_position");
        for (int p = 0; p < r.settings().points().size(); p++) {
            var rows = by.putArray(r.settings().points().get(p).suffix);
            for (double[] row : r.byPosition()[p]) TraceOutput.doubles(rows.addArray(), row);
        }
        o.put("by_position_columns", "the positions above one at a time, then all positions at once");
        var heads = o.putArray("attn_z_by_head");
        for (double[] row : r.byHead()) TraceOutput.doubles(heads.addArray(), row);
        return o;
    }
}
