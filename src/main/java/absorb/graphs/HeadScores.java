package absorb.graphs;

import absorb.AbsorbException;
import absorb.model.Compute;
import absorb.model.Forward;
import absorb.model.HookPoint;
import absorb.model.LanguageModel;
import absorb.model.Tokenizer;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Attention-head scores as TransformerLens and the replication of the study (Arditi, 2026) define them, from each
 * block's attention probabilities P = blocks.{i}.attn.pattern:
 * <ul>
 *   <li>induction score of head h: the mean over queries q of P_h[q, j(q)], j(q) the position after the previous
 *       occurrence of q's token. On a repeated random sequence (r r, r of L tokens) the queries are the second copy
 *       and j(q) = q - L + 1 (the offset diagonal TransformerLens reads, whatever repeats r has within itself); on a
 *       graph walk, every word whose token occurred before, j(q) the position after its latest earlier occurrence;</li>
 *   <li>previous-token score: the mean over queries q of P_h[q, q - 1], over the words q whose previous position is a
 *       word too (attention from the first word to BOS does not count).</li>
 * </ul>
 * The probabilities are those of transformers' eager attention. A forward pass hands them over one block at a time and
 * each is reduced to its sums at once; sequences go through in groups small enough that one block's
 * [sequences, heads, T, T] stays under {@link #PATTERN_BUDGET} bytes in float32.
 */
public final class HeadScores {
    /** The most bytes one block's attention probabilities take in one forward pass (the kernel briefly needs about 3x). */
    public static final long PATTERN_BUDGET = 256L << 20;

    /** A head: block {@code layer}, head {@code head}; written "layer.head" (1.3). */
    public record Head(int layer, int head) {
        @Override
        public String toString() {
            return layer + "." + head;
        }

        /** Parses "L.H" for a model of {@code layers} blocks and {@code heads} heads; one sentence if it does not exist. */
        public static Head parse(String s, int layers, int heads) {
            String[] p = s.strip().split("\\.");
            int l, h;
            try {
                if (p.length != 2) throw new NumberFormatException();
                l = Integer.parseInt(p[0]);
                h = Integer.parseInt(p[1]);
            } catch (NumberFormatException e) {
                throw new AbsorbException("Head " + s + " is not LAYER.HEAD, such as 1.3.");
            }
            if (l < 0 || l >= layers || h < 0 || h >= heads) {
                throw new AbsorbException("Head " + s + " does not exist: the model has " + layers + " layers (0 to "
                        + (layers - 1) + ") of " + heads + " heads (0 to " + (heads - 1) + ").");
            }
            return new Head(l, h);
        }
    }

    /**
     * The scores [layer][head] on one set of sequences.
     *
     * @param sequences what they were measured on, in words
     */
    public record Scores(String sequences, double[][] induction, double[][] previous) {
        /** The {@code k} heads with the highest score of {@code kind} ("induction" or "previous"), best first. */
        public List<Head> top(String kind, int k) {
            double[][] s = kind.equals("induction") ? induction : previous;
            List<Head> all = new ArrayList<>();
            for (int l = 0; l < s.length; l++) for (int h = 0; h < s[l].length; h++) all.add(new Head(l, h));
            if (k > all.size()) {
                throw new AbsorbException("--top-" + kind + " " + k + " is more than the model's " + all.size()
                        + " heads.");
            }
            all.sort(Comparator.comparingDouble((Head x) -> -s[x.layer()][x.head()]).thenComparingInt(Head::layer)
                    .thenComparingInt(Head::head));
            return List.copyOf(all.subList(0, k));
        }

        public double score(String kind, Head h) {
            return (kind.equals("induction") ? induction : previous)[h.layer()][h.head()];
        }
    }

    /**
     * What to measure the scores on.
     *
     * @param repeatLength L, tokens per copy of a repeated random sequence
     * @param repeats how many repeated sequences
     * @param seed seed of the random tokens
     * @param walks the graph walks to score heads on as well (null: none)
     */
    public record Settings(int repeatLength, int repeats, long seed, TraceConfig walks) {
        public Settings {
            if (repeatLength < 2) throw new AbsorbException("--repeat-length must be at least 2, not " + repeatLength + ".");
            if (repeats < 1) throw new AbsorbException("--repeats must be at least 1, not " + repeats + ".");
        }

        /** The replication's: 32 repeated random sequences of 2 x 32 tokens. */
        public static Settings of(long seed, TraceConfig walks) {
            return new Settings(32, 32, seed, walks);
        }
    }

    /** The scores on repeated random sequences and (null when not asked for) on graph walks. */
    public record Report(Settings settings, Scores repeated, Scores walks) {
        public List<Scores> all() {
            return walks == null ? List.of(repeated) : List.of(repeated, walks);
        }
    }

    private HeadScores() {}

    /** Measures the scores {@code s} asks for on {@code lm}. */
    public static Report measure(LanguageModel lm, Settings s) {
        Transformer t = lm.transformer();
        long[][] ids = repeatedSequences(lm.tokenizer(), t.config().vocabSize(), s.repeats(), s.repeatLength(), s.seed());
        Scores repeated = onRepeated(t, ids, lm.tokenizer().addsBos() ? 1 : 0, s.repeatLength());
        Scores walks = null;
        if (s.walks() != null) {
            GraphTrace.Sequences w = GraphTrace.sequences(s.walks(), lm);
            walks = onSequences(t, w.ids(), w.offset(), String.format(Locale.ROOT, "%d %s of %d words on %s",
                    w.ids().length, s.walks().samplingInWords(), w.ids()[0].length - w.offset(), w.graph().name()));
        }
        return new Report(s, repeated, walks);
    }

    /** heads.json: the scores [layer][head] of each kind, their definitions and the heads ranked by each. */
    public static ObjectNode toJson(Report r, String model) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("model", model);
        o.put("induction_definition", "mean over queries q of the attention probability from q to the position after"
                + " the previous occurrence of q's token (repeated sequences: the second copy, key q - L + 1; walks:"
                + " every word whose token occurred before, key after its latest earlier occurrence)");
        o.put("previous_definition", "mean over words q whose previous position is a word of the attention probability"
                + " from q to q - 1");
        o.put("pattern", "blocks.{i}.attn.pattern, softmax(q k^T / sqrt(d) + mask) as transformers' eager attention");
        o.put("repeat_length", r.settings().repeatLength());
        o.put("repeats", r.settings().repeats());
        o.put("seed", r.settings().seed());
        put(o.putObject("repeated"), r.repeated());
        if (r.walks() != null) {
            ObjectNode w = o.putObject("walks");
            put(w, r.walks());
            w.set("config", r.settings().walks().toJson());
        }
        return o;
    }

    private static void put(ObjectNode o, Scores s) {
        o.put("sequences", s.sequences());
        for (String kind : List.of("induction", "previous")) {
            double[][] v = kind.equals("induction") ? s.induction() : s.previous();
            ArrayNode rows = o.putArray(kind);
            for (double[] row : v) {
                ArrayNode a = rows.addArray();
                for (double x : row) a.add(x);
            }
            ArrayNode ranked = o.putArray(kind + "_ranked");
            for (Head h : s.top(kind, v.length * v[0].length)) ranked.addObject().put("head", h.toString()).put("score", s.score(kind, h));
        }
    }

    /** The scores in a few sentences: the strongest heads of each kind and how plain they are. */
    public static String reading(Report r) {
        StringBuilder b = new StringBuilder();
        for (Scores s : r.all()) {
            Head i = s.top("induction", 1).get(0), p = s.top("previous", 1).get(0);
            b.append(String.format(Locale.ROOT, "On %s the strongest induction head is %s (score %.2f; the median head"
                            + " %.2f) and the strongest previous-token head %s (%.2f; median %.2f). ", s.sequences(), i,
                    s.score("induction", i), median(s.induction()), p, s.score("previous", p), median(s.previous())));
        }
        return b.append("A head that only ever attended to its target would score 1.").toString();
    }

    static double median(double[][] v) {
        double[] all = java.util.Arrays.stream(v).flatMapToDouble(java.util.Arrays::stream).sorted().toArray();
        int n = all.length;
        return n % 2 == 1 ? all[n / 2] : (all[n / 2 - 1] + all[n / 2]) / 2;
    }

    /**
     * {@code count} sequences of BOS (when {@code bos} is not null) then r r, each r {@code length} tokens drawn
     * uniformly (with {@code seed}) from the ids below {@code vocab} that are not special tokens.
     */
    public static long[][] repeatedSequences(Tokenizer tokenizer, int vocab, int count, int length, long seed) {
        if (count < 1 || length < 2) throw new AbsorbException("Repeated sequences need at least 1 sequence of 2 tokens.");
        List<Long> pool = new ArrayList<>();
        for (long id = 0; id < Math.min(vocab, tokenizer.size()); id++) {
            if (tokenizer.isSpecial(id) || same(id, tokenizer.bosId()) || same(id, tokenizer.eosId())
                    || same(id, tokenizer.padId()) || same(id, tokenizer.unkId())) {
                continue;
            }
            pool.add(id);
        }
        if (pool.size() < 2) throw new AbsorbException("The tokenizer has fewer than two ordinary tokens to draw from.");
        int offset = tokenizer.addsBos() ? 1 : 0;
        SplittableRandom random = new SplittableRandom(seed);
        long[][] ids = new long[count][offset + 2 * length];
        for (long[] row : ids) {
            if (offset == 1) row[0] = tokenizer.bosId();
            for (int t = 0; t < length; t++) {
                long id = pool.get(random.nextInt(pool.size()));
                row[offset + t] = id;
                row[offset + length + t] = id;
            }
        }
        return ids;
    }

    private static boolean same(long id, Integer special) {
        return special != null && special == id;
    }

    /** Scores on repeated sequences (see {@link #repeatedSequences}) whose words start at {@code offset}. */
    public static Scores onRepeated(Transformer t, long[][] ids, int offset, int length) {
        int[][] induction = new int[ids.length][ids[0].length];
        for (int[] row : induction) for (int q = 0; q < row.length; q++) row[q] = q >= offset + length ? q - length + 1 : -1;
        return measure(t, ids, induction, previousTargets(ids, offset), String.format(Locale.ROOT, "%d repeated random"
                + " sequences of 2 x %d tokens", ids.length, length), PATTERN_BUDGET);
    }

    /** Scores on graph walks (or any word sequences): the words start at {@code offset}. */
    public static Scores onSequences(Transformer t, long[][] ids, int offset, String what) {
        return measure(t, ids, inductionTargets(ids, offset), previousTargets(ids, offset), what, PATTERN_BUDGET);
    }

    /** For each word q whose token occurred before, the position after its latest earlier occurrence; else -1. */
    static int[][] inductionTargets(long[][] ids, int offset) {
        int[][] out = new int[ids.length][ids[0].length];
        for (int b = 0; b < ids.length; b++) {
            java.util.Map<Long, Integer> lastSeen = new java.util.HashMap<>();
            for (int q = 0; q < ids[b].length; q++) {
                Integer before = q >= offset ? lastSeen.get(ids[b][q]) : null;
                out[b][q] = before != null ? before + 1 : -1;
                if (q >= offset) lastSeen.put(ids[b][q], q);
            }
        }
        return out;
    }

    /** q - 1 for the words q whose previous position is a word; else -1. */
    static int[][] previousTargets(long[][] ids, int offset) {
        int[][] out = new int[ids.length][ids[0].length];
        for (int[] row : out) for (int q = 0; q < row.length; q++) row[q] = q >= offset + 1 ? q - 1 : -1;
        return out;
    }

    /**
     * Mean attention of every head from each query q to the key {@code induction[b][q]} (and {@code previous[b][q]}),
     * over the (b, q) whose target is not -1; as many sequences a forward pass as keep one block's probabilities under
     * {@code budget} bytes.
     */
    static Scores measure(Transformer t, long[][] ids, int[][] induction, int[][] previous, String what, long budget) {
        int layers = t.layers(), heads = t.config().numAttentionHeads(), n = ids[0].length;
        double[][] sumI = new double[layers][heads], sumP = new double[layers][heads];
        long countI = 0, countP = 0;
        long perRow = (long) heads * n * n * 4;
        int rows = (int) Math.max(1, Math.min(ids.length, budget / perRow));
        for (int from = 0; from < ids.length; from += rows) {
            int to = Math.min(ids.length, from + rows);
            long[][] chunk = java.util.Arrays.copyOfRange(ids, from, to);
            int[][] ti = java.util.Arrays.copyOfRange(induction, from, to), tp = java.util.Arrays.copyOfRange(previous, from, to);
            for (int[] r : ti) for (int v : r) if (v >= 0) countI++;
            for (int[] r : tp) for (int v : r) if (v >= 0) countP++;
            Transformer.ResidualHook hook = new Transformer.ResidualHook() {
                @Override
                public boolean wants(String point) {
                    return point.endsWith(".attn.pattern");
                }

                @Override
                public void accept(String point, NDArray pattern) {
                    int layer = HookPoint.parse(point, layers).layer();
                    add(pattern, ti, sumI[layer]);
                    add(pattern, tp, sumP[layer]);
                }
            };
            try (NDManager scope = t.compute().newManager()) {
                t.forward(scope, Forward.of(chunk).withHook(hook).withLogits(Transformer.Logits.NONE));
            }
        }
        if (countI == 0 || countP == 0) throw new AbsorbException("The sequences have no query to score heads on.");
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                sumI[l][h] /= countI;
                sumP[l][h] /= countP;
            }
        }
        return new Scores(what, sumI, sumP);
    }

    /** Adds to {@code into[h]} the sum over (b, q) of pattern[b, h, q, target[b][q]] for the targets that are not -1. */
    private static void add(NDArray pattern, int[][] target, double[] into) {
        Shape s = pattern.getShape();
        int batch = (int) s.get(0), heads = (int) s.get(1), queries = (int) s.get(2), keys = (int) s.get(3);
        int k = 0;
        for (int[] row : target) k = Math.max(k, (int) java.util.Arrays.stream(row).filter(v -> v >= 0).count());
        if (k == 0) return;
        long[] index = new long[batch * k];
        float[] weight = new float[batch * k];
        for (int b = 0; b < batch; b++) {
            int j = 0;
            for (int q = 0; q < queries; q++) {
                if (target[b][q] < 0) continue;
                index[b * k + j] = (long) q * keys + target[b][q];
                weight[b * k + j] = 1;
                j++;
            }
        }
        try (NDManager scope = pattern.getManager().newSubManager()) {
            NDArray p = Compute.cast(pattern, DataType.FLOAT32);
            if (p != pattern) p.attach(scope);
            NDArray flat = p.reshape(batch, heads, (long) queries * keys);
            NDArray idx = scope.create(index, new Shape(batch, 1, k)).broadcast(new Shape(batch, heads, k));
            NDArray picked = flat.gather(idx, 2).mul(scope.create(weight, new Shape(batch, 1, k)));
            float[] sums = picked.sum(new int[] {0, 2}).toFloatArray();
            for (int h = 0; h < heads; h++) into[h] += sums[h];
        }
    }
}
