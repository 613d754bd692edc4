package absorb.model;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive generation with a KV cache for one prompt or a batch of them (left-padded, so every row's next
 * token sits in the last column). Stops a row at an EOS id, at a stop string, or after the token budget.
 */
public final class Generator {

    /** What to generate: budget, sampling, stops. {@code temperature} 0 is greedy. */
    public record Settings(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
            long seed, List<Integer> eosTokenIds, List<String> stopStrings) {

        public static Settings greedy(int maxNewTokens, List<Integer> eosTokenIds) {
            return new Settings(maxNewTokens, 0, 0, 1, 1, 0, eosTokenIds, List.of());
        }

        /** The checkpoint's generation_config.json defaults (greedy unless it sets do_sample). */
        public static Settings defaults(GenerationConfig g, int maxNewTokens) {
            return new Settings(maxNewTokens, g.doSample() ? g.temperature() : 0, g.topK(), g.topP(),
                    g.repetitionPenalty(), 0, g.eosTokenIds(), List.of());
        }

        public Settings {
            if (maxNewTokens < 0) throw new AbsorbException("--max-new-tokens must be at least 0, not " + maxNewTokens + ".");
            if (temperature < 0) throw new AbsorbException("--temperature must be at least 0, not " + temperature + ".");
            if (topK < 0) throw new AbsorbException("--top-k must be at least 0, not " + topK + ".");
            if (!(topP > 0 && topP <= 1)) throw new AbsorbException("--top-p must be in (0, 1], not " + topP + ".");
            if (!(repetitionPenalty > 0)) {
                throw new AbsorbException("--repetition-penalty must be positive, not " + repetitionPenalty + ".");
            }
            eosTokenIds = List.copyOf(eosTokenIds);
            stopStrings = List.copyOf(stopStrings);
        }
    }

    /** Receives text as it is produced: row index and the new characters. */
    @FunctionalInterface
    public interface Stream {
        void onText(int row, String delta);
    }

    /** A finished row: the new token ids (EOS included when it stopped there), the text, and why it stopped. */
    public record Result(long[] tokenIds, String text, String stopReason) {}

    private final Transformer model;
    private final Tokenizer tokenizer;

    public Generator(Transformer model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public Result generate(long[] prompt, Settings settings, Stream stream) {
        return generate(List.of(prompt), settings, stream).get(0);
    }

    /** Each row samples with its own generator, seeded {@code settings.seed() + row}. */
    public List<Result> generate(List<long[]> prompts, Settings settings, Stream stream) {
        long[] seeds = new long[prompts.size()];
        for (int b = 0; b < seeds.length; b++) seeds[b] = settings.seed() + b;
        return generate(prompts, settings, seeds, stream);
    }

    /**
     * Each row samples with its own generator seeded {@code seeds[row]}, so that a prompt's text does not depend on
     * the prompts batched with it.
     */
    public List<Result> generate(List<long[]> prompts, Settings settings, long[] seeds, Stream stream) {
        int batch = prompts.size();
        int width = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        if (width == 0) throw new AbsorbException("Cannot generate from an empty prompt.");
        long pad = tokenizer != null && tokenizer.padId() != null ? tokenizer.padId() : 0;
        long[][] ids = new long[batch][width];
        boolean[][] mask = new boolean[batch][width];
        long[][] context = new long[batch][width + settings.maxNewTokens()];
        int[] contextLength = new int[batch];
        for (int b = 0; b < batch; b++) {
            long[] p = prompts.get(b);
            int offset = width - p.length;
            Arrays.fill(ids[b], pad);
            System.arraycopy(p, 0, ids[b], offset, p.length);
            for (int t = offset; t < width; t++) mask[b][t] = true;
            System.arraycopy(p, 0, context[b], 0, p.length);
            contextLength[b] = p.length;
        }
        Sampler[] samplers = new Sampler[batch];
        for (int b = 0; b < batch; b++) {
            samplers[b] = new Sampler(settings.temperature(), settings.topK(), settings.topP(),
                    settings.repetitionPenalty(), seeds[b]);
        }
        List<List<Long>> generated = new ArrayList<>();
        String[] text = new String[batch], reason = new String[batch];
        int[] emitted = new int[batch];
        for (int b = 0; b < batch; b++) {
            generated.add(new ArrayList<>());
            text[b] = "";
        }
        boolean decodeEachStep = stream != null || !settings.stopStrings().isEmpty();
        int vocab = model.config().vocabSize();
        try (NDManager session = model.compute().newManager();
                KvCache cache = new KvCache(session, model.layers(), batch)) {
            long[][] step = ids;
            boolean[][] stepMask = mask;
            // without a repetition penalty the next tokens are chosen in libtorch (no logits copied to Java), with
            // uniform numbers drawn from each row's own generator
            boolean inTorch = settings.repetitionPenalty() == 1.0;
            for (int n = 0; n < settings.maxNewTokens(); n++) {
                float[] logits = null;
                long[] chosen = null;
                try (NDManager scope = session.newSubManager()) {
                    NDArray out = model.forward(scope, Forward.of(step).withPadding(stepMask).withCache(cache)
                            .withLogits(Transformer.Logits.LAST)).logits();
                    if (inTorch) {
                        double[] u = new double[batch];
                        for (int b = 0; b < batch; b++) u[b] = reason[b] == null ? samplers[b].uniform() : 0;
                        chosen = DecoderKernels.SAMPLE_NEXT.tensor(scope, out, settings.temperature(), settings.topK(),
                                settings.topP(), scope.create(u)).toLongArray();
                    } else {
                        logits = out.toFloatArray();
                    }
                }
                long[][] next = new long[batch][1];
                boolean any = false;
                for (int b = 0; b < batch; b++) {
                    if (reason[b] != null) {
                        next[b][0] = pad;
                        continue;
                    }
                    int token = inTorch ? (int) chosen[b]
                            : samplers[b].next(Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab), context[b],
                                    contextLength[b]);
                    context[b][contextLength[b]++] = token;
                    generated.get(b).add((long) token);
                    next[b][0] = token;
                    if (settings.eosTokenIds().contains(token)) reason[b] = "eos";
                    if (decodeEachStep) {
                        text[b] = decode(generated.get(b));
                        String cut = cutAtStop(text[b], settings.stopStrings());
                        if (cut != null) {
                            text[b] = cut;
                            reason[b] = "stop_string";
                        }
                        if (stream != null) {
                            emitted[b] = emit(stream, b, text[b], emitted[b], reason[b] != null, settings.stopStrings());
                        }
                    }
                    any |= reason[b] == null;
                }
                if (!any) break;
                step = next;
                stepMask = ones(batch);
            }
        }
        List<Result> results = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            long[] tokens = generated.get(b).stream().mapToLong(Long::longValue).toArray();
            String t = decodeEachStep ? text[b] : decode(generated.get(b));
            if (!decodeEachStep && stream != null) emit(stream, b, t, 0, true, List.of());
            results.add(new Result(tokens, t, reason[b] != null ? reason[b] : "length"));
        }
        return results;
    }

    private String decode(List<Long> tokens) {
        if (tokenizer == null) return "";
        return tokenizer.decode(tokens.stream().mapToLong(Long::longValue).toArray(), true);
    }

    /**
     * Emits the text not yet emitted, holding back a trailing incomplete UTF-8 sequence (U+FFFD) and any ending
     * that could be the start of a stop string.
     */
    private static int emit(Stream stream, int row, String text, int emitted, boolean last, List<String> stops) {
        int end = text.length();
        if (!last) {
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
            end -= hold;
        }
        if (end > emitted) stream.onText(row, text.substring(emitted, end));
        return Math.max(emitted, end);
    }

    /** The text before the first stop string in it, or null if none occurs. */
    static String cutAtStop(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int k = text.indexOf(s);
            if (k >= 0 && (best < 0 || k < best)) best = k;
        }
        return best < 0 ? null : text.substring(0, best);
    }

    private static boolean[][] ones(int batch) {
        boolean[][] m = new boolean[batch][1];
        for (boolean[] r : m) r[0] = true;
        return m;
    }
}
