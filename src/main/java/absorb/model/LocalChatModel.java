package absorb.model;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A {@link ChatModel} in this process: a loaded model folder (with an adapter, or a model being fine-tuned). Requests
 * are batched: prompts of similar length decode together through the KV cache; next-token scores take one forward
 * pass per batch of prompts computing logits only at their last positions; a question's options share one pass over
 * its context, whose keys and values serve all of them.
 */
public final class LocalChatModel implements ChatModel {
    private final LanguageModel lm;
    private final boolean owned;
    private final int maxBatch;
    private final String name;
    private final java.util.concurrent.atomic.AtomicLong tokens = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Serves {@code lm}, which the caller keeps (and closes); at most {@code maxBatch} sequences decode or are scored
     * together.
     */
    public LocalChatModel(LanguageModel lm, int maxBatch) {
        this(lm, false, maxBatch, lm.dir().toString());
    }

    private LocalChatModel(LanguageModel lm, boolean owned, int maxBatch, String name) {
        if (maxBatch < 1) throw new AbsorbException("The batch size must be at least 1, not " + maxBatch + ".");
        this.lm = lm;
        this.owned = owned;
        this.maxBatch = maxBatch;
        this.name = name;
    }

    /** Loads the model in {@code dir} (with the PEFT adapter {@code adapter}, or null) and serves it. */
    public static LocalChatModel open(Path dir, Path adapter, Compute compute, int maxBatch) {
        LanguageModel lm = LanguageModel.load(dir, adapter, compute);
        return new LocalChatModel(lm, true, maxBatch, dir + (adapter != null ? " + " + adapter : ""));
    }

    public LanguageModel languageModel() {
        return lm;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(lm.tokenizer().hasChatTemplate(), true, true);
    }

    @Override
    public long parameters() {
        return lm.config().parameterCount();
    }

    /** The token ids of a prompt: a conversation through the chat template with its generation prompt, or text. */
    public long[] encode(Prompt p) {
        if (!p.isChat()) return lm.tokenizer().encode(p.text());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Message m : p.messages()) messages.add(Map.of("role", m.role(), "content", m.content()));
        return lm.tokenizer().encodeChat(messages, true);
    }

    @Override
    public long tokensProcessed() {
        return tokens.get();
    }

    @Override
    public List<Completion> generate(List<Prompt> prompts, Sampling sampling) {
        List<long[]> ids = prompts.stream().map(this::encode).toList();
        Completion[] out = new Completion[ids.size()];
        Generator generator = new Generator(lm.transformer(), lm.tokenizer());
        Generator.Settings settings = new Generator.Settings(sampling.maxNewTokens(), sampling.temperature(),
                sampling.topK(), sampling.topP(), 1.0, sampling.seed(), lm.generation().eosTokenIds(), sampling.stop());
        for (int[] batch : batches(ids)) {
            List<long[]> rows = new ArrayList<>();
            long[] seeds = new long[batch.length];
            for (int i = 0; i < batch.length; i++) {
                rows.add(ids.get(batch[i]));
                seeds[i] = sampling.seed() + batch[i];
            }
            List<Generator.Result> results = generator.generate(rows, settings, seeds, null);
            for (int i = 0; i < batch.length; i++) {
                Generator.Result r = results.get(i);
                out[batch[i]] = new Completion(r.text(), r.stopReason().equals("length") ? "length" : "stop",
                        rows.get(i).length, r.tokenIds().length);
                tokens.addAndGet(rows.get(i).length + r.tokenIds().length);
            }
        }
        return List.of(out);
    }

    /** Consecutive prompts sharing at least this many leading tokens have them computed once. */
    static final int MIN_SHARED_PREFIX = 32;

    @Override
    public List<double[]> nextTokenLogProbs(List<Prompt> prompts, List<String> candidates) {
        long[] candidateIds = new long[candidates.size()];
        for (int c = 0; c < candidateIds.length; c++) candidateIds[c] = singleToken(candidates.get(c));
        List<long[]> ids = prompts.stream().map(this::encode).toList();
        double[][] out = new double[ids.size()][];
        // Consecutive prompts that share a long prefix (the option orders of one question) have it computed once and
        // its keys and values repeated for each; the rest go in batches of similar length.
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
                List<double[]> scores = scoreWithPrefix(ids.subList(start, end), prefix, candidateIds);
                for (int i = start; i < end; i++) out[i] = scores.get(i - start);
            }
            start = end;
        }
        List<long[]> single = alone.stream().map(ids::get).toList();
        for (int[] batch : batches(single)) {
            int[] rows = Arrays.stream(batch).map(alone::get).toArray();
            List<double[]> scores = lastScores(Arrays.stream(rows).mapToObj(ids::get).toList(), null, candidateIds);
            for (int i = 0; i < rows.length; i++) out[rows[i]] = scores.get(i);
        }
        return List.of(out);
    }

    /** The common prefix of the prompts (its first {@code prefix} tokens) once, then each prompt's rest together. */
    private List<double[]> scoreWithPrefix(List<long[]> group, int prefix, long[] candidateIds) {
        Transformer t = lm.transformer();
        try (NDManager session = t.compute().newManager(); KvCache cache = new KvCache(session, t.layers(), 1)) {
            try (NDManager scope = session.newSubManager()) {
                t.forward(scope, Forward.of(new long[][] {Arrays.copyOf(group.get(0), prefix)}).withCache(cache)
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
        Transformer t = lm.transformer();
        int vocab = lm.config().vocabSize();
        int width = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[][] ids = new long[rows.size()][width];
        boolean[][] mask = new boolean[rows.size()][width];
        long pad = padId();
        for (int i = 0; i < rows.size(); i++) {
            long[] p = rows.get(i);
            tokens.addAndGet(p.length);
            int offset = width - p.length; // left padding: every row's last token in the last column
            Arrays.fill(ids[i], pad);
            System.arraycopy(p, 0, ids[i], offset, p.length);
            Arrays.fill(mask[i], offset, width, true);
        }
        float[] logits;
        try (NDManager scope = t.compute().newManager()) {
            Forward f = Forward.of(ids).withPadding(mask).withLogits(Transformer.Logits.LAST);
            logits = t.forward(scope, cache != null ? f.withCache(cache) : f).logits().toFloatArray();
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

    private static int commonPrefix(long[] a, long[] b) {
        int n = Math.min(a.length, b.length), k = 0;
        while (k < n && a[k] == b[k]) k++;
        return k;
    }

    @Override
    public List<List<Likelihood>> continuationLikelihoods(List<ContinuationRequest> requests) {
        List<List<Likelihood>> out = new ArrayList<>();
        for (ContinuationRequest r : requests) out.add(likelihoods(r));
        return out;
    }

    /**
     * One request: a pass over the context (its last logits score each continuation's first token) whose keys and
     * values are then repeated for every continuation, which run as one batch, right-padded.
     */
    private List<Likelihood> likelihoods(ContinuationRequest r) {
        List<long[][]> pairs = new ArrayList<>();
        long[] context = null;
        for (String continuation : r.continuations()) {
            long[][] pair = encodePair(r.context(), continuation);
            if (context != null && !Arrays.equals(context, pair[0])) throw new IllegalStateException("context tokens differ");
            context = pair[0];
            pairs.add(pair);
        }
        if (context.length == 0) {
            throw new AbsorbException("A multiple-choice context is empty after tokenisation; continuation scoring needs"
                    + " at least one context token (a model that adds BOS gives it one).");
        }
        Transformer t = lm.transformer();
        int vocab = lm.config().vocabSize(), n = pairs.size();
        int width = pairs.stream().mapToInt(p -> p[1].length).max().orElse(0);
        if (width == 0) throw new AbsorbException("A continuation is empty after tokenisation.");
        List<Likelihood> out = new ArrayList<>();
        tokens.addAndGet(context.length + pairs.stream().mapToLong(p -> p[1].length).sum());
        try (NDManager session = t.compute().newManager(); KvCache cache = new KvCache(session, t.layers(), 1)) {
            float[] first;
            try (NDManager scope = session.newSubManager()) {
                first = t.forward(scope, Forward.of(new long[][] {context}).withCache(cache)
                        .withLogits(Transformer.Logits.LAST)).logits().toFloatArray();
            }
            long pad = padId();
            long[][] rows = new long[n][width];
            boolean[][] mask = new boolean[n][width];
            for (int i = 0; i < n; i++) {
                long[] c = pairs.get(i)[1];
                Arrays.fill(rows[i], pad);
                System.arraycopy(c, 0, rows[i], 0, c.length);
                Arrays.fill(mask[i], 0, c.length, true);
            }
            float[] rest = null;
            if (width > 1) {
                try (KvCache expanded = cache.repeat(session, n); NDManager scope = session.newSubManager()) {
                    // only the positions before each row's last token predict one of its tokens
                    long[][] inputs = new long[n][width - 1];
                    boolean[][] inputMask = new boolean[n][width - 1];
                    for (int i = 0; i < n; i++) {
                        inputs[i] = Arrays.copyOf(rows[i], width - 1);
                        inputMask[i] = Arrays.copyOf(mask[i], width - 1);
                    }
                    rest = t.forward(scope, Forward.of(inputs).withPadding(inputMask).withCache(expanded)).logits()
                            .toFloatArray();
                }
            }
            double firstLse = logSumExp(first, 0, vocab);
            for (int i = 0; i < n; i++) {
                long[] c = pairs.get(i)[1];
                double ll = first[(int) c[0]] - firstLse;
                boolean greedy = argmax(first, 0, vocab) == c[0];
                for (int k = 1; k < c.length; k++) {
                    int base = (i * (width - 1) + (k - 1)) * vocab;
                    ll += rest[base + (int) c[k]] - logSumExp(rest, base, vocab);
                    greedy &= argmax(rest, base, vocab) == c[k];
                }
                out.add(new Likelihood(ll, c.length, greedy));
            }
        }
        return out;
    }

    /**
     * lm-evaluation-harness's split of a (context, continuation) pair into tokens: trailing whitespace of the context
     * moves to the continuation; the context is encoded alone (with the special tokens the tokenizer adds), and the
     * continuation's tokens are those of context + continuation after the context's own.
     */
    long[][] encodePair(String context, String continuation) {
        int spaces = context.length() - context.stripTrailing().length();
        if (spaces > 0) {
            continuation = context.substring(context.length() - spaces) + continuation;
            context = context.substring(0, context.length() - spaces);
        }
        long[] whole = lm.tokenizer().encode(context + continuation);
        long[] ctx = lm.tokenizer().encode(context);
        return new long[][] {ctx, Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length)};
    }

    /** The id of a candidate that must be one token (with no special tokens added). */
    private long singleToken(String candidate) {
        long[] ids = lm.tokenizer().encodePlain(candidate);
        if (ids.length != 1) {
            throw new AbsorbException("\"" + candidate + "\" is " + ids.length + " tokens for " + name + ", not one: letter"
                    + " scoring needs a single token per option letter; use --scoring continuation or generate.");
        }
        return ids[0];
    }

    /** Request indices in batches of at most maxBatch, prompts of similar length together (less padding). */
    private List<int[]> batches(List<long[]> ids) {
        Integer[] order = IntStream.range(0, ids.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length));
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += maxBatch) {
            out.add(Arrays.stream(order, s, Math.min(order.length, s + maxBatch)).mapToInt(Integer::intValue).toArray());
        }
        return out;
    }

    private long padId() {
        Tokenizer tok = lm.tokenizer();
        return tok.padId() != null ? tok.padId() : tok.eosId() != null ? tok.eosId() : 0;
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

    @Override
    public void close() {
        if (owned) lm.close();
    }
}
