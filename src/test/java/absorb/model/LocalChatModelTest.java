package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What batching and sharing change must not change a number: prompts scored together (sharing a prefix, or padded
 * into one batch) score as each does alone, and a prompt generates the same text whatever it is batched with.
 */
class LocalChatModelTest {
    private static final Path QWEN = Fixtures.model("qwen2");
    private static final String PREFIX = "A long shared beginning of several prompts, long enough to be worth computing"
            + " once: the news and the question before the options. ";

    private static List<ChatModel.Prompt> prompts() {
        List<ChatModel.Prompt> out = new ArrayList<>();
        for (String end : List.of("A. one B. two", "A. three hundred and four B. five", "C", "A. six B. seven eight"))
            out.add(ChatModel.Prompt.chat(List.of(ChatModel.Message.user(PREFIX + end))));
        out.add(ChatModel.Prompt.plain("Something else entirely"));
        return out;
    }

    @Test
    void scoresTogetherEqualScoresAlone() {
        List<String> letters = List.of("A", "B", "C", "D");
        try (LocalChatModel together = LocalChatModel.open(QWEN, null, Compute.CPU_FLOAT32, 8);
                LocalChatModel alone = LocalChatModel.open(QWEN, null, Compute.CPU_FLOAT32, 1)) {
            List<ChatModel.Prompt> ps = prompts();
            List<double[]> batched = together.nextTokenLogProbs(ps, letters);
            for (int i = 0; i < ps.size(); i++) {
                double[] one = alone.nextTokenLogProbs(List.of(ps.get(i)), letters).get(0);
                for (int c = 0; c < 4; c++) assertEquals(one[c], batched.get(i)[c], 1e-4, "prompt " + i + " letter " + c);
            }
        }
    }

    @Test
    void aPromptGeneratesTheSameTextInAnyBatch() {
        ChatModel.Sampling s = new ChatModel.Sampling(12, 1.0, 0.9, 0, 5, List.of());
        try (LocalChatModel m = LocalChatModel.open(QWEN, null, Compute.CPU_FLOAT32, 8);
                LocalChatModel one = LocalChatModel.open(QWEN, null, Compute.CPU_FLOAT32, 1)) {
            List<ChatModel.Prompt> ps = prompts();
            List<ChatModel.Completion> batched = m.generate(ps, s);
            for (int i = 0; i < ps.size(); i++) {
                ChatModel.Sampling own = new ChatModel.Sampling(12, 1.0, 0.9, 0, 5 + i, List.of());
                assertEquals(one.generate(List.of(ps.get(i)), own).get(0).text(), batched.get(i).text(), "prompt " + i);
            }
        }
    }

    @Test
    void continuationsSharingAContextEqualWholeSequences() {
        try (LocalChatModel m = LocalChatModel.open(QWEN, null, Compute.CPU_FLOAT32, 8)) {
            String context = "Question: what follows the apple?\\nAnswer:";
            List<String> options = List.of(" the tree", " a very long answer of many words", " x");
            List<ChatModel.Likelihood> got = m.continuationLikelihoods(List.of(new ChatModel.ContinuationRequest(context,
                    options))).get(0);
            for (int j = 0; j < options.size(); j++) {
                // the whole sequence in one pass, the continuation's log-probabilities summed
                long[][] pair = m.encodePair(context, options.get(j));
                long[] whole = new long[pair[0].length + pair[1].length];
                System.arraycopy(pair[0], 0, whole, 0, pair[0].length);
                System.arraycopy(pair[1], 0, whole, pair[0].length, pair[1].length);
                Transformer t = m.languageModel().transformer();
                int vocab = t.config().vocabSize();
                float[] logits;
                try (var scope = t.compute().newManager()) {
                    logits = t.forward(scope, Forward.of(new long[][] {whole})).logits().toFloatArray();
                }
                double ll = 0;
                for (int k = pair[0].length; k < whole.length; k++) {
                    int base = (k - 1) * vocab;
                    ll += logits[base + (int) whole[k]] - LocalChatModel.logSumExp(logits, base, vocab);
                }
                assertEquals(ll, got.get(j).logLikelihood(), 1e-3, options.get(j));
                assertEquals(pair[1].length, got.get(j).tokens());
            }
        }
    }
}
