package absorb.model;

import absorb.AbsorbException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
    private final Scorer scorer;

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
        Tokenizer tok = lm.tokenizer();
        this.scorer = new Scorer(lm.transformer(), tok.padId() != null ? tok.padId() : tok.eosId() != null ? tok.eosId() : 0,
                maxBatch);
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
        return tokens.get() + scorer.tokens();
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

    @Override
    public List<double[]> nextTokenLogProbs(List<Prompt> prompts, List<String> candidates) {
        long[] candidateIds = new long[candidates.size()];
        for (int c = 0; c < candidateIds.length; c++) candidateIds[c] = singleToken(candidates.get(c));
        return scorer.nextTokenLogProbs(prompts.stream().map(this::encode).toList(), candidateIds);
    }

    @Override
    public List<List<Likelihood>> continuationLikelihoods(List<ContinuationRequest> requests) {
        List<List<Likelihood>> out = new ArrayList<>();
        for (ContinuationRequest r : requests) out.add(likelihoods(r));
        return out;
    }

    /** One request's continuations, split into tokens as lm-evaluation-harness splits them. */
    private List<Likelihood> likelihoods(ContinuationRequest r) {
        long[] context = null;
        List<long[]> continuations = new ArrayList<>();
        for (String continuation : r.continuations()) {
            long[][] pair = encodePair(r.context(), continuation);
            if (context != null && !Arrays.equals(context, pair[0])) throw new IllegalStateException("context tokens differ");
            context = pair[0];
            continuations.add(pair[1]);
        }
        return scorer.likelihoods(context, continuations);
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
        return Scorer.batches(ids, maxBatch);
    }

    private long padId() {
        Tokenizer tok = lm.tokenizer();
        return tok.padId() != null ? tok.padId() : tok.eosId() != null ? tok.eosId() : 0;
    }

    static double logSumExp(float[] x, int from, int n) {
        return Scorer.logSumExp(x, from, n);
    }

    @Override
    public void close() {
        if (owned) lm.close();
    }
}
