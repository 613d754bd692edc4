package absorb.graphs;

import absorb.AbsorbException;
import absorb.analysis.Pca;
import absorb.model.Compute;
import absorb.model.Forward;
import absorb.model.HookPoint;
import absorb.model.Intervention;
import absorb.model.LanguageModel;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The study's causal test (its intervene.py): does moving the last token's representation within the plane of the
 * first two principal components move the model's prediction? For each sequence, the word means of that sequence over
 * its last {@code window} positions at a hook point, and their first two principal directions u1, u2; a target word
 * other than the current one (a random offset on the node numbers); the last position's residual x moved to the
 * target's coordinates in that plane, x' = x + sum_k (m_target . u_k - x . u_k) u_k, at every chosen hook point at once.
 * Measured at the last position: the whole-vocabulary probability on the target's neighbours, hit@1 (the most probable
 * graph word is one of them) and hit@3 (one of the three most probable is), against the same measures with no
 * intervention and with a random direction of the same norm. The study's code also subtracts the target word's
 * normalised unembedding direction (twice) from the move; absorb moves within the plane only.
 */
public final class Steering {
    /** The measures of one condition, means over the sequences. */
    public record Measures(double targetNeighbours, double hit1, double hit3, double currentNeighbours) {}

    /**
     * @param hooks the resid_post points moved
     * @param used sequences in which every word occurs in the window (the others are left out)
     */
    public record Result(TraceConfig config, List<String> hooks, int used, int sequences, Measures none, Measures moved,
            Measures random, double meanShift) {}

    private Steering() {}

    public static Result run(TraceConfig c, LanguageModel lm, Consumer<String> log) {
        GraphTrace.Sequences seq = GraphTrace.sequences(c, lm);
        Transformer t = lm.transformer();
        List<String> hooks = GraphTrace.hookPoints(c.layers(), t.layers());
        for (String h : hooks) {
            if (HookPoint.parse(h, t.layers()).site() != HookPoint.Site.RESID_POST) {
                throw new AbsorbException("The causal test moves a block's output; --layers takes blocks or resid_post"
                        + " points, not " + h + ".");
            }
        }
        int batch = seq.ids().length, length = seq.ids()[0].length, last = length - 1, n = seq.graph().size();
        SplittableRandom random = new SplittableRandom(c.seed() + 5);
        int[] target = new int[batch];
        boolean[] usable = new boolean[batch];
        java.util.Arrays.fill(usable, true);
        for (int b = 0; b < batch; b++) target[b] = (seq.nodeOf()[b][last] + 1 + random.nextInt(n - 1)) % n;
        Map<String, float[][]> moves = new LinkedHashMap<>(), randoms = new LinkedHashMap<>();
        double shift = 0;
        try (NDManager scope = t.compute().newManager()) {
            List<Intervention> reads = new ArrayList<>();
            for (String h : hooks) {
                reads.add(Intervention.read(h, x -> {
                    float[][] move = new float[batch][], rand = new float[batch][];
                    NDArray f = Compute.cast(x, DataType.FLOAT32);
                    int d = (int) f.getShape().get(2);
                    float[] all = f.toFloatArray();
                    for (int b = 0; b < batch; b++) {
                        double[][] means = sequenceMeans(all, b, length, d, seq.nodeOf()[b], c, n, last);
                        if (means == null) {
                            usable[b] = false;
                            continue;
                        }
                        Pca pca = Pca.of(means, 2);
                        double[] xs = new double[d];
                        for (int k = 0; k < d; k++) xs[k] = all[(b * length + last) * d + k];
                        double[] delta = new double[d];
                        for (double[] u : pca.components()) {
                            double coef = dot(means[target[b]], u) - dot(xs, u);
                            for (int k = 0; k < d; k++) delta[k] += coef * u[k];
                        }
                        move[b] = floats(delta);
                        rand[b] = floats(randomLike(delta, random));
                    }
                    moves.put(h, move);
                    randoms.put(h, rand);
                }));
            }
            t.forward(scope, Forward.of(seq.ids()).withInterventions(reads).withLogits(Transformer.Logits.NONE));
        }
        int used = 0;
        for (boolean u : usable) if (u) used++;
        if (used == 0) {
            throw new AbsorbException("No sequence has every word within its last " + c.window() + " positions; use a"
                    + " longer --context or --window.");
        }
        for (String h : hooks) for (int b = 0; b < batch; b++) if (usable[b]) shift += norm(moves.get(h)[b]) / used / hooks.size();
        Measures none = measure(t, seq, target, usable, null, hooks), moved = measure(t, seq, target, usable, moves, hooks),
                rand = measure(t, seq, target, usable, randoms, hooks);
        log.accept(String.format(Locale.ROOT, "causal test at %s on %d of %d sequences: p(target's neighbours) %.3f"
                + " unmoved, %.3f moved within PC1-2, %.3f along a random direction", String.join(", ", hooks), used,
                batch, none.targetNeighbours(), moved.targetNeighbours(), rand.targetNeighbours()));
        return new Result(c, hooks, used, batch, none, moved, rand, shift);
    }

    /**
     * The means of each word over sequence b's positions in its window before {@code last} (inclusive), n x d, or
     * null when a word does not occur there.
     */
    private static double[][] sequenceMeans(float[] all, int b, int length, int d, int[] nodeOf, TraceConfig c, int n,
            int last) {
        double[][] sums = new double[n][d];
        int[] count = new int[n];
        for (int s = Math.max(0, c.conventions().windowStart(last, c.window())); s <= last; s++) {
            int v = nodeOf[s];
            if (v < 0) continue;
            count[v]++;
            for (int k = 0; k < d; k++) sums[v][k] += all[(b * length + s) * d + k];
        }
        for (int v = 0; v < n; v++) {
            if (count[v] == 0) return null;
            for (int k = 0; k < d; k++) sums[v][k] /= count[v];
        }
        return sums;
    }

    /** The measures with each hook's moves added at the last position (none: null). */
    private static Measures measure(Transformer t, GraphTrace.Sequences seq, int[] target, boolean[] usable,
            Map<String, float[][]> moves, List<String> hooks) {
        int batch = seq.ids().length, last = seq.ids()[0].length - 1, n = seq.graph().size();
        int d = t.config().hiddenSize();
        try (NDManager scope = t.compute().newManager()) {
            List<Intervention> ivs = new ArrayList<>();
            if (moves != null) {
                for (String h : hooks) {
                    float[] flat = new float[batch * d];
                    for (int b = 0; b < batch; b++) if (usable[b]) System.arraycopy(moves.get(h)[b], 0, flat, b * d, d);
                    NDArray delta = Compute.cast(scope.create(flat, new Shape(batch, 1, d)), t.compute().dtype());
                    ivs.add(Intervention.apply(h, x -> x.add(delta)).positions(last));
                }
            }
            NDArray logits = t.forward(scope, Forward.of(seq.ids()).withInterventions(ivs)
                    .withLogits(Transformer.Logits.LAST)).logits();
            float[] p = logits.reshape(batch, -1).softmax(1).toFloatArray();
            int vocab = (int) (p.length / batch);
            double tn = 0, h1 = 0, h3 = 0, cn = 0;
            int used = 0;
            for (int b = 0; b < batch; b++) {
                if (!usable[b]) continue;
                used++;
                int current = seq.nodeOf()[b][last];
                Integer[] order = new Integer[n];
                for (int v = 0; v < n; v++) order[v] = v;
                final int row = b;
                java.util.Arrays.sort(order, (x, y) -> Float.compare(p[row * vocab + (int) seq.wordTokens()[y]],
                        p[row * vocab + (int) seq.wordTokens()[x]]));
                for (int v = 0; v < n; v++) {
                    double pv = p[b * vocab + (int) seq.wordTokens()[v]];
                    if (seq.graph().adjacent(target[b], v)) tn += pv;
                    if (seq.graph().adjacent(current, v)) cn += pv;
                }
                if (seq.graph().adjacent(target[b], order[0])) h1++;
                for (int k = 0; k < Math.min(3, n); k++) {
                    if (seq.graph().adjacent(target[b], order[k])) {
                        h3++;
                        break;
                    }
                }
            }
            return new Measures(tn / used, h1 / used, h3 / used, cn / used);
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s);
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    /** A direction drawn uniformly at random, scaled to the norm of {@code like}. */
    private static double[] randomLike(double[] like, SplittableRandom random) {
        java.util.Random g = new java.util.Random(random.nextLong());
        double[] r = new double[like.length];
        double nr = 0, nl = 0;
        for (int i = 0; i < r.length; i++) {
            r[i] = g.nextGaussian();
            nr += r[i] * r[i];
            nl += like[i] * like[i];
        }
        double scale = nr == 0 ? 0 : Math.sqrt(nl / nr);
        for (int i = 0; i < r.length; i++) r[i] *= scale;
        return r;
    }

    public static String reading(Result r) {
        return String.format(Locale.ROOT, "Moving the last token's residual at %s within the plane of its sequence's first"
                        + " two principal components, to another word's coordinates (%d of %d sequences; mean move %.2f):"
                        + " the probability on that word's neighbours goes from %.3f to %.3f (a random direction of the"
                        + " same norm: %.3f); hit@1 %.2f (random %.2f, unmoved %.2f), hit@3 %.2f (random %.2f, unmoved"
                        + " %.2f). The probability on the current word's neighbours goes from %.3f to %.3f.",
                String.join(", ", r.hooks()), r.used(), r.sequences(), r.meanShift(), r.none().targetNeighbours(),
                r.moved().targetNeighbours(), r.random().targetNeighbours(), r.moved().hit1(), r.random().hit1(),
                r.none().hit1(), r.moved().hit3(), r.random().hit3(), r.none().hit3(), r.none().currentNeighbours(),
                r.moved().currentNeighbours());
    }

    /** causal.json. */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(Result r) {
        var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        o.set("config", r.config().toJson());
        var hooks = o.putArray("hooks");
        r.hooks().forEach(hooks::add);
        o.put("sequences_used", r.used());
        o.put("sequences", r.sequences());
        o.put("mean_move_norm", r.meanShift());
        o.put("definition", "x' = x + sum over k = 1, 2 of (m_target . u_k - x . u_k) u_k at the last position, u_k the"
                + " principal directions of the sequence's own word means over its last `window` positions, added at every"
                + " hook at once; target: the current node plus a random offset in 1..n-1; measures at the last position:"
                + " whole-vocabulary probability on the target's neighbours, hit@1 and hit@3 among the graph's words");
        for (var e : Map.of("none", r.none(), "moved", r.moved(), "random_direction", r.random()).entrySet()) {
            var m = o.putObject(e.getKey());
            m.put("p_target_neighbours", e.getValue().targetNeighbours());
            m.put("hit_at_1", e.getValue().hit1());
            m.put("hit_at_3", e.getValue().hit3());
            m.put("p_current_neighbours", e.getValue().currentNeighbours());
        }
        return o;
    }
}
