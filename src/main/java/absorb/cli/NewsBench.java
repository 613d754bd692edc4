package absorb.cli;

import absorb.model.Generator;
import absorb.model.Scorer;
import absorb.model.Transformer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The New News pipeline's inner loops for `absorb bench --news`, on random token ids: batched sampling (16 prompts of
 * 64 tokens, 128 new tokens each, temperature 1, top-p 0.95), continuation scoring (questions of a 200-token context
 * and four 5-token options) and letter scoring (questions asked under 4 option orders: a 150-token shared beginning
 * and 50 tokens that differ, in batches of 16). One warm-up run, then the median of the timed ones.
 */
final class NewsBench {
    static final int PROMPTS = 16, PROMPT_TOKENS = 64, NEW_TOKENS = 128, QUESTIONS = 8, CONTEXT = 200, OPTION = 5,
            SHARED = 150, DIFFERENT = 50, ORDERS = 4;

    private NewsBench() {}

    static void run(Transformer model, SplittableRandom random, int repeats, ObjectNode out) {
        int vocab = model.config().vocabSize();
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) prompts.add(random.longs(PROMPT_TOKENS, 0, vocab).toArray());
        Generator g = new Generator(model, null);
        Generator.Settings sampling = new Generator.Settings(NEW_TOKENS, 1.0, 0, 0.95, 1.0, 0, List.of(), List.of());
        double sample = median(repeats, () -> g.generate(prompts, sampling, null));
        out.put("sample_tok_s", round(PROMPTS * NEW_TOKENS / sample));

        Scorer scorer = new Scorer(model, 0, 16);
        List<long[]> contexts = new ArrayList<>();
        List<List<long[]>> options = new ArrayList<>();
        for (int q = 0; q < QUESTIONS; q++) {
            contexts.add(random.longs(CONTEXT, 0, vocab).toArray());
            List<long[]> o = new ArrayList<>();
            for (int k = 0; k < 4; k++) o.add(random.longs(OPTION, 0, vocab).toArray());
            options.add(o);
        }
        double continuation = median(repeats, () -> {
            for (int q = 0; q < QUESTIONS; q++) scorer.likelihoods(contexts.get(q), options.get(q));
        });
        out.put("mc_continuation_q_s", round(QUESTIONS / continuation));

        List<long[]> asked = new ArrayList<>();
        for (int q = 0; q < QUESTIONS; q++) {
            long[] shared = random.longs(SHARED, 0, vocab).toArray();
            for (int k = 0; k < ORDERS; k++) {
                long[] p = new long[SHARED + DIFFERENT];
                System.arraycopy(shared, 0, p, 0, SHARED);
                long[] rest = random.longs(DIFFERENT, 0, vocab).toArray();
                System.arraycopy(rest, 0, p, SHARED, DIFFERENT);
                asked.add(p);
            }
        }
        long[] letters = {10, 11, 12, 13};
        double letter = median(repeats, () -> scorer.nextTokenLogProbs(asked, letters));
        out.put("mc_letter_prompts_s", round(asked.size() / letter));
    }

    private static double median(int repeats, Runnable r) {
        r.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        java.util.Arrays.sort(t);
        return t[repeats / 2];
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
