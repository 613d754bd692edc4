package absorb.model;

import absorb.AbsorbException;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Scores token sequences with a model: the log-probabilities of chosen next tokens after each prompt, and the
 * likelihood of continuations after a context. Work is shared where the sequences share it: consecutive prompts
 * with a long common prefix (the option orders of one question) compute it once; a context's keys and values serve
 * all its continuations; other prompts go in left-padded batches of similar length.
 */
public final class Scorer {
    /** Consecutive prompts sharing at least this many leading tokens (and half their length) compute them once. */
    static final int MIN_SHARED_PREFIX = 32;

    private final Transformer model;
    private final long pad;
    private final int maxBatch;
    private final AtomicLong tokens = new AtomicLong();

    public Scorer(Transformer model, long padId, int maxBatch) {
        if (maxBatch < 1) throw new AbsorbException("The batch size must be at least 1, not " + maxBatch + ".");
        this.model = model;
        this.pad = padId;
        this.maxBatch = maxBatch;
    }

    /** Tokens run through the model so far. */
    public long tokens() {
        return tokens.get();
    }

    /** For each prompt, log p(candidate | prompt) of each candidate token id. */
    public List<double[]> nextTokenLogProbs(List<long[]> ids, long[] candidateIds) {
        double[][] out = new double[ids.size()][];
        List<Integer> alone = new ArrayList<>();
        for (int start = 0; start < ids.size(); ) {
            int end = start + 1, shared = Integer.MAX_VALUE;
            while (end < ids.size() && end - start < maxBatch) {
                int common = commonPrefix(ids.get(start), ids.get(end));
                if (common < MIN_SHARED_PREFIX || common * 2 < ids.get(start).length) break;
                shared = Math.min(shared, common);
                end++;
            }
            if (end - start == 1) {
                alone.add(start);
            } else {
                int prefix = shared;
                for (int i = start; i < end; i++) prefix = Math.min(prefix, ids.get(i).length - 1);
                List<double[]> scores = withPrefix(ids.subList(start, end), prefix, candidateIds);
                for (int i = start; i < end; i++) out[i] = scores.get(i - start);
            }
            start = end;
        }
        List<long[]> single = alone.stream().map(ids::get).toList();
        for (int[] batch : batches(single, maxBatch)) {
            int[] rows = Arrays.stream(batch).map(alone::get).toArray();
            List<double[]> scores = lastScores(Arrays.stream(rows).mapToObj(ids::get).toList(), null, candidateIds);
            for (int i = 0; i < rows.length; i++) out[rows[i]] = scores.get(i);
        }
        return List.of(out);
    }

    /** The common prefix of the prompts (its first {@code prefix} tokens) once, then each prompt's rest together. */
    private List<double[]> withPrefix(List<long[]> group, int prefix, long[] candidateIds) {
        try (NDManager session = model.compute().newManager(); KvCache cache = new KvCache(session, model.layers(), 1)) {
            try (NDManager scope = session.newSubManager()) {
                model.forward(scope, Forward.of(new long[][] {Arrays.copyOf(group.get(0), prefix)}).withCache(cache)
                        .withLogits(Transformer.Logits.NONE));
            }
            tokens.addAndGet(prefix);
            List<long[]> rest = group.stream().map(p -> Arrays.copyOfRange(p, prefix, p.length)).toList();
            try (KvCache repeated = cache.repeat(session, group.size())) {
                return lastScores(rest, repeated, candidateIds);
            }
        }
    }

    /**
     * One left-padded pass over {@code rows} (continuing {@code cache} when given) and, for each row, the
     * log-probabilities of the candidates after its last token.
     */
    private List<double[]> lastScores(List<long[]> rows, KvCache cache, long[] candidateIds) {
        int vocab = model.config().vocabSize();
        int width = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[][] ids = new long[rows.size()][width];
        boolean[][] mask = new boolean[rows.size()][width];
        for (int i = 0; i < rows.size(); i++) {
            long[] p = rows.get(i);
            tokens.addAndGet(p.length);
            int offset = width - p.length; // left padding: every row's last token in the last column
            Arrays.fill(ids[i], pad);
            System.arraycopy(p, 0, ids[i], offset, p.length);
            Arrays.fill(mask[i], offset, width, true);
        }
        float[] logits;
        try (NDManager scope = model.compute().newManager()) {
            Forward f = Forward.of(ids).withPadding(mask).withLogits(Transformer.Logits.LAST);
            logits = model.forward(scope, cache != null ? f.withCache(cache) : f).logits().toFloatArray();
        }
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            double lse = logSumExp(logits, i * vocab, vocab);
            double[] scores = new double[candidateIds.length];
            for (int c = 0; c < scores.length; c++) scores[c] = logits[i * vocab + (int) candidateIds[c]] - lse;
            out.add(scores);
        }
        return out;
    }

    /**
     * The likelihood of each continuation after {@code context}: a pass over the context (its last logits score
     * each continuation's first token) whose keys and values are then repeated for every continuation, which run as
     * one batch, right-padded.
     */
    public List<ChatModel.Likelihood> likelihoods(long[] context, List<long[]> continuations) {
        if (context.length == 0) {
            throw new AbsorbException("A multiple-choice context is empty after tokenisation; continuation scoring needs"
                    + " at least one context token (a model that adds BOS gives it one).");
        }
        int vocab = model.config().vocabSize(), n = continuations.size();
        int width = continuations.stream().mapToInt(c -> c.length).max().orElse(0);
        if (continuations.stream().anyMatch(c -> c.length == 0)) {
            throw new AbsorbException("A continuation is empty after tokenisation.");
        }
        tokens.addAndGet(context.length + continuations.stream().mapToLong(c -> c.length).sum());
        List<ChatModel.Likelihood> out = new ArrayList<>();
        try (NDManager session = model.compute().newManager(); KvCache cache = new KvCache(session, model.layers(), 1)) {
            float[] first;
            try (NDManager scope = session.newSubManager()) {
                first = model.forward(scope, Forward.of(new long[][] {context}).withCache(cache)
                        .withLogits(Transformer.Logits.LAST)).logits().toFloatArray();
            }
            float[] rest = null;
            if (width > 1) {
                // only the positions before each row's last token predict one of its tokens
                long[][] inputs = new long[n][width - 1];
                boolean[][] mask = new boolean[n][width - 1];
                for (int i = 0; i < n; i++) {
                    long[] c = continuations.get(i);
                    Arrays.fill(inputs[i], pad);
                    System.arraycopy(c, 0, inputs[i], 0, c.length - 1);
                    Arrays.fill(mask[i], 0, c.length - 1, true);
                }
                try (KvCache repeated = cache.repeat(session, n); NDManager scope = session.newSubManager()) {
                    rest = model.forward(scope, Forward.of(inputs).withPadding(mask).withCache(repeated)).logits()
                            .toFloatArray();
                }
            }
            double firstLse = logSumExp(first, 0, vocab);
            for (int i = 0; i < n; i++) {
                long[] c = continuations.get(i);
                double ll = first[(int) c[0]] - firstLse;
                boolean greedy = argmax(first, 0, vocab) == c[0];
                for (int k = 1; k < c.length; k++) {
                    int base = (i * (width - 1) + (k - 1)) * vocab;
                    ll += rest[base + (int) c[k]] - logSumExp(rest, base, vocab);
                    greedy &= argmax(rest, base, vocab) == c[k];
                }
                out.add(new ChatModel.Likelihood(ll, c.length, greedy));
            }
        }
        return out;
    }

    /** Indices of {@code ids} in batches of at most {@code max}, sequences of similar length together. */
    static List<int[]> batches(List<long[]> ids, int max) {
        Integer[] order = IntStream.range(0, ids.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length));
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += max) {
            out.add(Arrays.stream(order, s, Math.min(order.length, s + max)).mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    private static int commonPrefix(long[] a, long[] b) {
        int n = Math.min(a.length, b.length), k = 0;
        while (k < n && a[k] == b[k]) k++;
        return k;
    }

    /** log sum_j exp(x[from + j]) over {@code n} entries, in double precision. */
    static double logSumExp(float[] x, int from, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[from + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.exp(x[from + j] - max);
        return max + Math.log(sum);
    }

    private static int argmax(float[] x, int from, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (x[from + j] > x[from + best]) best = j;
        return best;
    }
}
