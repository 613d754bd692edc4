package absorb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding in steps for a batch whose rows come and go (continuous batching, as an inference server runs it): each
 * {@link #step()} gives every running row one more token; between steps, {@link #admit} prefills new requests
 * (together, left-padded) and merges their keys and values into the running batch, the shorter side padded in front
 * with masked positions, and rows that finished leave (their rows of the cache dropped, and the front positions no
 * remaining row uses). A row computes what it would alone: positions count its own real tokens, padding is masked,
 * and it samples from its own generator (seeded as {@link Generator} seeds it), so a request's tokens do not depend
 * on the requests that shared its steps. One thread drives a decoder.
 */
public final class StepDecoder implements AutoCloseable {

    /**
     * What a row asks for: the prompt's token ids, the budget (0: only the prompt's scores), sampling (temperature 0 is
     * greedy), its generator's seed, the ids and strings that end it, how many of the most likely tokens to report
     * with each generated token (-1: no log-probabilities), whether to score the prompt's tokens (echo), and whether
     * text is wanted as it is made (streaming; otherwise only when the row finishes).
     */
    public record Request(long[] prompt, int maxNewTokens, double temperature, int topK, double topP, long seed,
            List<Integer> eosTokenIds, List<String> stop, int topLogprobs, boolean promptLogprobs, boolean stream) {
        public Request {
            if (prompt.length == 0) throw new IllegalArgumentException("an empty prompt");
            eosTokenIds = List.copyOf(eosTokenIds);
            stop = List.copyOf(stop);
        }
    }

    /** A token's log-probability and the most likely tokens at its position (empty arrays when none were asked). */
    public record TokenScores(double logprob, long[] topIds, double[] topLogprobs) {}

    /** Receives a row's results, on the decoding thread. */
    public interface Listener {
        /** The scores of prompt tokens 1 .. n-1 (token 0 has no context to be scored in), when asked. */
        default void onPrompt(List<TokenScores> scores) {}

        /** A new token, the text it makes visible (may be empty: held back while it could begin a stop string), and
         * its scores (null when not asked). */
        void onToken(long id, String delta, TokenScores scores);

        /** The row is done: {@code stop} (an end-of-sequence id or a stop string) or {@code length}. */
        void onFinish(String reason, String text, long[] tokens);

        /** Whether the row's requester has gone: it leaves at the next step. */
        default boolean cancelled() {
            return false;
        }
    }

    /** A request and who receives its results. */
    public record Pending(Request request, Listener listener) {}

    private static final class Row {
        final Request request;
        final Listener listener;
        final Sampler sampler;
        final List<Long> generated = new ArrayList<>();
        String text = "";
        int emitted;
        String reason;

        Row(Pending p) {
            this.request = p.request();
            this.listener = p.listener();
            this.sampler = new Sampler(request.temperature(), request.topK(), request.topP(), 1.0, request.seed());
        }

        long last() {
            return generated.get(generated.size() - 1);
        }
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final long pad;
    private final NDManager session;
    private final List<Row> rows = new ArrayList<>();
    private KvCache cache;
    private long steps, tokens;

    public StepDecoder(Transformer model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.pad = tokenizer.padId() != null ? tokenizer.padId() : tokenizer.eosId() != null ? tokenizer.eosId() : 0;
        this.session = model.compute().newManager();
    }

    /** Rows decoding now. */
    public int size() {
        return rows.size();
    }

    /** Key positions the running batch holds (padding included). */
    public int width() {
        return cache == null ? 0 : cache.length();
    }

    /** Decoding steps run and tokens read or written so far. */
    public long steps() {
        return steps;
    }

    public long tokens() {
        return tokens;
    }

    /**
     * Starts {@code pending}: requests that score their prompt are prefilled one by one (logits at every position),
     * the others in one left-padded pass; each gets its first token, and those not finished by it join the batch.
     */
    public void admit(List<Pending> pending) {
        List<Row> together = new ArrayList<>();
        for (Pending p : pending) {
            Row row = new Row(p);
            if (row.request.promptLogprobs()) admitScored(row);
            else if (row.request.maxNewTokens() == 0) finish(row, "length");
            else together.add(row);
        }
        if (together.isEmpty()) return;
        int n = together.size(), width = together.stream().mapToInt(r -> r.request.prompt().length).max().orElse(0);
        long[][] ids = new long[n][width];
        boolean[][] mask = new boolean[n][width];
        for (int i = 0; i < n; i++) {
            long[] p = together.get(i).request.prompt();
            Arrays.fill(ids[i], pad);
            System.arraycopy(p, 0, ids[i], width - p.length, p.length);
            Arrays.fill(mask[i], width - p.length, width, true);
            tokens += p.length;
        }
        KvCache fresh = new KvCache(session, model.layers(), n);
        try (NDManager scope = session.newSubManager()) {
            NDArray logits = model.forward(scope, Forward.of(ids).withPadding(mask).withCache(fresh)
                    .withLogits(Transformer.Logits.LAST)).logits();
            choose(scope, logits, together);
        }
        join(fresh, together);
    }

    /** A request that scores its prompt: a pass with logits at every position, then (with a budget) its first token. */
    private void admitScored(Row row) {
        long[] p = row.request.prompt();
        tokens += p.length;
        KvCache fresh = new KvCache(session, model.layers(), 1);
        try (NDManager scope = session.newSubManager()) {
            NDArray logits = model.forward(scope, Forward.of(new long[][] {p}).withCache(fresh)).logits();
            List<TokenScores> scores = new ArrayList<>();
            if (p.length > 1) {
                NDArray before = logits.get("0, :-1, :");
                NDArray next = scope.create(Arrays.copyOfRange(p, 1, p.length));
                int k = Math.min(model.config().vocabSize(), Math.max(0, row.request.topLogprobs()));
                scores = scores(DecoderKernels.TOKEN_LOGPROBS.tuple(scope, before, next, k), 0, p.length - 1, k);
            }
            row.listener.onPrompt(scores);
            if (row.request.maxNewTokens() == 0) {
                finish(row, "length");
            } else {
                choose(scope, logits.get(":, -1:, :"), List.of(row));
            }
        }
        if (row.reason != null) fresh.close();
        else join(fresh, List.of(row));
    }

    /** One more token for every running row; rows that finish (or were cancelled) leave the batch. */
    public void step() {
        for (Row r : rows) if (r.reason == null && r.listener.cancelled()) r.reason = "cancelled";
        leave();
        if (rows.isEmpty()) return;
        int n = rows.size();
        long[][] next = new long[n][1];
        boolean[][] mask = new boolean[n][1];
        for (int i = 0; i < n; i++) {
            next[i][0] = rows.get(i).last();
            mask[i][0] = true;
        }
        try (NDManager scope = session.newSubManager()) {
            NDArray logits = model.forward(scope, Forward.of(next).withPadding(mask).withCache(cache)
                    .withLogits(Transformer.Logits.LAST)).logits();
            choose(scope, logits, rows);
        }
        steps++;
        leave();
    }

    /**
     * Each row's next token from its logits ([rows, 1, vocab]): rows sampling alike in one call of the sampling
     * kernel (all of them, usually), with a uniform number from each row's generator; then scores, text and stops.
     */
    private void choose(NDManager scope, NDArray logits, List<Row> batch) {
        int n = batch.size();
        double[] u = new double[n];
        for (int i = 0; i < n; i++) u[i] = batch.get(i).sampler.uniform();
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Request r = batch.get(i).request;
            groups.computeIfAbsent(r.temperature() + "|" + r.topK() + "|" + r.topP(), k -> new ArrayList<>()).add(i);
        }
        long[] chosen = new long[n];
        if (groups.size() == 1) {
            Request r = batch.get(0).request;
            chosen = DecoderKernels.SAMPLE_NEXT.tensor(scope, logits, r.temperature(), r.topK(), r.topP(),
                    scope.create(u)).toLongArray();
        } else {
            for (List<Integer> g : groups.values()) {
                Request r = batch.get(g.get(0)).request;
                long[] index = g.stream().mapToLong(Integer::longValue).toArray();
                double[] gu = g.stream().mapToDouble(i -> u[i]).toArray();
                long[] picked = DecoderKernels.SAMPLE_ROWS.tensor(scope, logits, scope.create(index), r.temperature(),
                        r.topK(), r.topP(), scope.create(gu)).toLongArray();
                for (int j = 0; j < index.length; j++) chosen[(int) index[j]] = picked[j];
            }
        }
        int k = Math.min(model.config().vocabSize(), batch.stream().mapToInt(r -> r.request.topLogprobs()).max().orElse(-1));
        List<TokenScores> scores = k < 0 ? null
                : scores(DecoderKernels.TOKEN_LOGPROBS.tuple(scope, logits, scope.create(chosen), k), 0, n, k);
        for (int i = 0; i < n; i++) {
            Row row = batch.get(i);
            long id = chosen[i];
            row.generated.add(id);
            tokens++;
            if (row.request.eosTokenIds().contains((int) id)) row.reason = "eos";
            boolean watch = row.request.stream() || !row.request.stop().isEmpty();
            if (watch) {
                row.text = decode(row);
                String cut = Generator.cutAtStop(row.text, row.request.stop());
                if (cut != null) {
                    row.text = cut;
                    row.reason = "stop_string";
                }
            }
            if (row.reason == null && row.generated.size() >= row.request.maxNewTokens()) row.reason = "length";
            TokenScores s = null;
            if (scores != null && row.request.topLogprobs() >= 0) {
                TokenScores all = scores.get(i);
                int mine = Math.min(row.request.topLogprobs(), all.topIds().length);
                s = new TokenScores(all.logprob(), Arrays.copyOf(all.topIds(), mine), Arrays.copyOf(all.topLogprobs(), mine));
            }
            String delta = "";
            if (row.request.stream()) {
                int end = visible(row.text, row.reason != null, row.request.stop(), row.emitted);
                delta = row.text.substring(row.emitted, end);
                row.emitted = end;
            }
            row.listener.onToken(id, delta, s);
            if (row.reason != null) finish(row, row.reason);
        }
    }

    /** Rows {@code from} .. {@code from + n - 1} of the token_logprobs kernel's results, with {@code k} alternatives. */
    private static List<TokenScores> scores(NDArray[] t, int from, int n, int k) {
        float[] picked = t[0].toFloatArray();
        float[] topLp = k > 0 ? t[1].toFloatArray() : new float[0];
        long[] topIds = k > 0 ? t[2].toLongArray() : new long[0];
        List<TokenScores> out = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            long[] ids = new long[k];
            double[] lps = new double[k];
            for (int j = 0; j < k; j++) {
                ids[j] = topIds[i * k + j];
                lps[j] = topLp[i * k + j];
            }
            out.add(new TokenScores(picked[i], ids, lps));
        }
        return out;
    }

    private String decode(Row row) {
        return tokenizer.decode(row.generated.stream().mapToLong(Long::longValue).toArray(), true);
    }

    /**
     * How much of {@code text} can be shown: all of it at the end; before, not a trailing incomplete UTF-8 sequence
     * (U+FFFD) nor an ending that could begin a stop string.
     */
    static int visible(String text, boolean last, List<String> stops, int emitted) {
        int end = text.length();
        if (last) return Math.max(end, emitted);
        while (end > emitted && text.charAt(end - 1) == '\uFFFD') end--;
        int hold = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, end); k > hold; k--) {
                if (text.regionMatches(end - k, stop, 0, k)) {
                    hold = k;
                    break;
                }
            }
        }
        return Math.max(emitted, end - hold);
    }

    private void finish(Row row, String reason) {
        row.reason = reason;
        boolean watched = row.request.stream() || !row.request.stop().isEmpty();
        if (!watched && !row.generated.isEmpty()) row.text = decode(row);
        String finish = reason.equals("length") ? "length" : "stop";
        row.listener.onFinish(finish, row.text, row.generated.stream().mapToLong(Long::longValue).toArray());
    }

    /** The rows of {@code fresh} still running join the batch (the shorter cache padded in front). */
    private void join(KvCache fresh, List<Row> admitted) {
        int[] keep = keptRows(admitted);
        if (keep.length == 0) {
            fresh.close();
            return;
        }
        KvCache joining = keep.length == admitted.size() ? fresh : select(fresh, keep, 0);
        for (int i : keep) rows.add(admitted.get(i));
        if (cache == null) {
            cache = joining;
            return;
        }
        int width = Math.max(cache.length(), joining.length());
        KvCache a = select(cache, all(cache.batch()), width - cache.length());
        KvCache b = select(joining, all(joining.batch()), width - joining.length());
        boolean[][] mask = new boolean[a.batch() + b.batch()][];
        int[] real = new int[mask.length];
        for (int i = 0; i < a.batch(); i++) {
            mask[i] = a.keyMask()[i];
            real[i] = a.realTokens(i);
        }
        for (int i = 0; i < b.batch(); i++) {
            mask[a.batch() + i] = b.keyMask()[i];
            real[a.batch() + i] = b.realTokens(i);
        }
        IValue keys = DecoderKernels.CACHE_CAT.call(a.keys(), b.keys());
        IValue values = DecoderKernels.CACHE_CAT.call(a.values(), b.values());
        a.close();
        b.close();
        cache = new KvCache(keys, values, mask, real, width);
    }

    /** Finished rows leave, with the front positions no remaining row uses. */
    private void leave() {
        int[] keep = keptRows(rows);
        if (keep.length == rows.size()) return;
        List<Row> kept = new ArrayList<>();
        for (int i : keep) kept.add(rows.get(i));
        rows.clear();
        rows.addAll(kept);
        if (keep.length == 0) {
            cache.close();
            cache = null;
            return;
        }
        int unused = cache.length();
        for (int i : keep) {
            boolean[] m = cache.keyMask()[i];
            int lead = 0;
            while (lead < m.length && !m[lead]) lead++;
            unused = Math.min(unused, lead);
        }
        cache = select(cache, keep, -unused);
    }

    /**
     * Rows {@code keep} of {@code c} (which is closed) with {@code front} masked positions put before the first (or,
     * negative, dropped from the front).
     */
    private KvCache select(KvCache c, int[] keep, int front) {
        boolean[][] mask = new boolean[keep.length][];
        int[] real = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            boolean[] m = c.keyMask()[keep[i]];
            boolean[] out = new boolean[m.length + front];
            if (front >= 0) System.arraycopy(m, 0, out, front, m.length);
            else System.arraycopy(m, -front, out, 0, out.length);
            mask[i] = out;
            real[i] = c.realTokens(keep[i]);
        }
        IValue keys, values;
        try (NDManager scope = session.newSubManager()) {
            NDArray index = scope.create(Arrays.stream(keep).mapToLong(i -> i).toArray());
            keys = DecoderKernels.CACHE_ROWS.call(c.keys(), index, front);
            values = DecoderKernels.CACHE_ROWS.call(c.values(), index, front);
        }
        int length = c.length() + front;
        c.close();
        return new KvCache(keys, values, mask, real, length);
    }

    private static int[] keptRows(List<Row> rs) {
        return java.util.stream.IntStream.range(0, rs.size()).filter(i -> rs.get(i).reason == null).toArray();
    }

    private static int[] all(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    @Override
    public void close() {
        if (cache != null) cache.close();
        cache = null;
        rows.clear();
        session.close();
    }
}
