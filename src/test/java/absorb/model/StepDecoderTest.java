package absorb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching must not change a request's tokens: rows that join a running batch at different steps, with
 * other budgets, other sampling settings and other prompt lengths, produce what each prompt produces alone through
 * {@link Generator}; prompt scores equal a plain forward pass's log-softmax.
 */
class StepDecoderTest {

    private record Case(String prompt, int budget, double temperature, double topP, long seed, int joinAt) {}

    private static final List<Case> CASES = List.of(
            new Case("The apple fell from the tree and", 12, 0, 1, 0, 0),
            new Case("Hello", 9, 1.0, 0.9, 5, 0),
            new Case("A much longer prompt than the others, so that the batch must be padded in front of the rows", 7,
                    0, 1, 0, 2),
            new Case("x", 10, 0.7, 1, 11, 3),
            new Case("Numbers: one two three four", 3, 1.0, 0.95, 2, 3),
            new Case("Late", 6, 0, 1, 0, 9));

    @Test
    void rowsJoiningAndLeavingGenerateWhatEachDoesAlone() {
        try (LanguageModel lm = LanguageModel.load(Fixtures.model("qwen2"), Compute.CPU_FLOAT32)) {
            Generator g = new Generator(lm.transformer(), lm.tokenizer());
            List<long[]> alone = new ArrayList<>();
            for (Case c : CASES) {
                Generator.Settings s = new Generator.Settings(c.budget(), c.temperature(), 0, c.topP(), 1, c.seed(),
                        List.of(), List.of());
                alone.add(g.generate(List.of(lm.tokenizer().encode(c.prompt())), s, new long[] {c.seed()}, null).get(0)
                        .tokenIds());
            }
            long[][] got = new long[CASES.size()][];
            int maxWidth = 0;
            try (StepDecoder d = new StepDecoder(lm.transformer(), lm.tokenizer())) {
                for (int step = 0; step < 40; step++) {
                    List<StepDecoder.Pending> now = new ArrayList<>();
                    for (int i = 0; i < CASES.size(); i++) {
                        Case c = CASES.get(i);
                        if (c.joinAt() != step) continue;
                        int row = i;
                        now.add(new StepDecoder.Pending(new StepDecoder.Request(lm.tokenizer().encode(c.prompt()),
                                c.budget(), c.temperature(), 0, c.topP(), c.seed(), List.of(), List.of(), -1, false,
                                row % 2 == 0), new StepDecoder.Listener() {
                                    @Override
                                    public void onToken(long id, String delta, StepDecoder.TokenScores s) {}

                                    @Override
                                    public void onFinish(String reason, String text, long[] tokens) {
                                        got[row] = tokens;
                                    }
                                }));
                    }
                    if (!now.isEmpty()) d.admit(now);
                    maxWidth = Math.max(maxWidth, d.width());
                    d.step();
                }
                assertEquals(0, d.size());
            }
            for (int i = 0; i < CASES.size(); i++) assertArrayEquals(alone.get(i), got[i], "request " + i);
            assertTrue(maxWidth > 0);
        }
    }

    @Test
    void promptScoresAndTokenScoresAreLogSoftmax() {
        try (LanguageModel lm = LanguageModel.load(Fixtures.model("llama"), Compute.CPU_FLOAT32)) {
            long[] ids = lm.tokenizer().encode("The apple fell from the tree");
            Transformer t = lm.transformer();
            int vocab = t.config().vocabSize();
            float[] logits;
            try (var scope = t.compute().newManager()) {
                logits = t.forward(scope, Forward.of(new long[][] {ids})).logits().toFloatArray();
            }
            List<StepDecoder.TokenScores> prompt = new ArrayList<>();
            List<StepDecoder.TokenScores> generated = new ArrayList<>();
            long[][] out = new long[1][];
            try (StepDecoder d = new StepDecoder(t, lm.tokenizer())) {
                d.admit(List.of(new StepDecoder.Pending(new StepDecoder.Request(ids, 1, 0, 0, 1, 0, List.of(), List.of(),
                        3, true, false), new StepDecoder.Listener() {
                            @Override
                            public void onPrompt(List<StepDecoder.TokenScores> scores) {
                                prompt.addAll(scores);
                            }

                            @Override
                            public void onToken(long id, String delta, StepDecoder.TokenScores s) {
                                generated.add(s);
                            }

                            @Override
                            public void onFinish(String reason, String text, long[] tokens) {
                                out[0] = tokens;
                            }
                        })));
            }
            assertEquals(ids.length - 1, prompt.size());
            for (int k = 1; k <= ids.length; k++) {
                int base = (k - 1) * vocab;
                double lse = Scorer.logSumExp(logits, base, vocab);
                StepDecoder.TokenScores s = k < ids.length ? prompt.get(k - 1) : generated.get(0);
                long id = k < ids.length ? ids[k] : out[0][0];
                assertEquals(logits[base + (int) id] - lse, s.logprob(), 1e-4, "position " + k);
                assertEquals(3, s.topIds().length);
                int best = 0;
                for (int j = 1; j < vocab; j++) if (logits[base + j] > logits[base + best]) best = j;
                assertEquals(best, s.topIds()[0]);
                assertEquals(logits[base + best] - lse, s.topLogprobs()[0], 1e-4);
                assertTrue(s.topLogprobs()[0] >= s.topLogprobs()[1] && s.topLogprobs()[1] >= s.topLogprobs()[2]);
            }
        }
    }
}
