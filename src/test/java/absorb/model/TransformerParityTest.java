package absorb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * absorb against transformers 5.18 on three tiny random checkpoints (see tools/make_engine_fixtures.py): Llama
 * with llama3 rope scaling and biases in the 4.x layout, Qwen2 in bfloat16 with a sliding-window layer and tied
 * embeddings, Mistral in float16, sharded, with multi-query attention and an explicit head_dim.
 */
class TransformerParityTest {
    private static final double TOL = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void tokenizerMatchesTransformers(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (Tokenizer tok = Tokenizer.load(Fixtures.model(name))) {
            for (JsonNode p : ref.get("prompts")) {
                long[] ids = tok.encode(p.get("text").asText());
                assertArrayEquals(Fixtures.longs(p.get("token_ids")), ids, name + ": ids of " + p.get("text"));
                assertEquals(p.get("decoded").asText(), tok.decode(ids, true), name + ": decode");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void chatTemplateMatchesApplyChatTemplate(String name) throws Exception {
        JsonNode ref = Fixtures.reference(name);
        try (Tokenizer tok = Tokenizer.load(Fixtures.model(name))) {
            for (JsonNode chat : ref.get("chats")) {
                List<Map<String, Object>> messages = new ArrayList<>();
                for (JsonNode m : chat.get("messages")) {
                    Map<String, Object> message = new LinkedHashMap<>();
                    message.put("role", m.get("role").asText());
                    message.put("content", m.get("content").asText());
                    messages.add(message);
                }
                assertEquals(chat.get("rendered").asText(), tok.renderChat(messages, true).text(), name + " render");
                assertArrayEquals(Fixtures.longs(chat.get("token_ids")), tok.encodeChat(messages, true), name + " ids");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void logitsAndHiddenStatesMatch(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            int layers = model.layers();
            for (JsonNode p : ref.get("prompts")) {
                long[] ids = Fixtures.longs(p.get("token_ids"));
                Map<String, float[]> captured = new LinkedHashMap<>();
                Transformer.ResidualHook hook = Transformer.ResidualHook.collectAll(captured);
                Transformer.Output out = model.forward(scope, Forward.of(new long[][] {ids}).withHook(hook));
                Fixtures.assertClose2d(p.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " logits");
                JsonNode hidden = p.get("hidden_states");
                assertEquals(layers + 1, hidden.size());
                for (int i = 0; i <= layers; i++) {
                    String point = HookPoint.ofHiddenState(i, layers);
                    Fixtures.assertClose2d(hidden.get(i), captured.get(point), 0, TOL, name + " " + point);
                }
            }
        }
    }

    /**
     * A model lays q/k/v and gate/up side by side in one tensor each when it is built (one product instead of three or
     * two); training asks for the parameters, which gives every projection its own memory again. Both layouts give
     * transformers' logits, and the same ones.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void fusedAndSeparateProjectionsAgree(String name) {
        JsonNode p = Fixtures.reference(name).get("prompts").get(0);
        long[] ids = Fixtures.longs(p.get("token_ids"));
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            float[] fused = model.forward(scope, Forward.of(new long[][] {ids})).logits()
                    .toFloatArray();
            Fixtures.assertClose2d(p.get("logits"), fused, 0, TOL, name + " fused");
            model.prepareForTraining();
            float[] apart = model.forward(scope, Forward.of(new long[][] {ids})).logits()
                    .toFloatArray();
            Fixtures.assertClose2d(p.get("logits"), apart, 0, TOL, name + " apart");
            for (int i = 0; i < fused.length; i++) assertEquals(fused[i], apart[i], 1e-5, name + " logit " + i);
        }
    }

    /**
     * Next-token logits alone (the last block then computes only the last position), and with a hook on one middle
     * block (the blocks then run in two calls around it): transformers' logits at the last position, and the hooked
     * residual transformers' hidden state; on left-padded batches, every row's last position.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void nextTokenLogitsMatch(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            int vocab = model.config().vocabSize(), middle = (model.layers() - 1) / 2;
            String point = HookPoint.residPost(middle);
            for (JsonNode p : ref.get("prompts")) {
                long[] ids = Fixtures.longs(p.get("token_ids"));
                int last = ids.length - 1;
                Transformer.Output out = model.forward(scope, Forward.of(new long[][] {ids}).withLogits(Transformer.Logits.LAST));
                Fixtures.assertClose(p.get("logits").get(last), out.logits().toFloatArray(), 0, TOL, name + " last");
                assertEquals(1, out.finalHidden().getShape().get(1), name + ": only the last position is computed");
                Map<String, float[]> captured = new LinkedHashMap<>();
                Transformer.ResidualHook one = new Transformer.ResidualHook() {
                    @Override
                    public boolean wants(String hookPoint) {
                        return hookPoint.equals(point);
                    }

                    @Override
                    public void accept(String hookPoint, ai.djl.ndarray.NDArray residual) {
                        captured.put(hookPoint, residual.toFloatArray());
                    }
                };
                out = model.forward(scope, Forward.of(new long[][] {ids}).withHook(one).withLogits(Transformer.Logits.LAST));
                Fixtures.assertClose(p.get("logits").get(last), out.logits().toFloatArray(), 0, TOL, name + " hooked");
                assertEquals(List.of(point), List.copyOf(captured.keySet()));
                Fixtures.assertClose2d(p.get("hidden_states").get(middle + 1), captured.get(point), 0, TOL,
                        name + " " + point);
            }
            for (JsonNode batch : ref.get("batches")) {
                if (!batch.get("side").asText().equals("left")) continue;
                long[][] ids = batchIds(batch);
                boolean[][] mask = batchMask(batch);
                int rows = ids.length, width = ids[0].length;
                float[] logits = model.forward(scope, Forward.of(ids).withPadding(mask).withLogits(Transformer.Logits.LAST)).logits()
                        .toFloatArray();
                for (int b = 0; b < rows; b++) {
                    Fixtures.assertClose(batch.get("logits").get(b).get(width - 1), logits, b * vocab, TOL,
                            name + " left-padded row " + b);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void paddedBatchesMatchOnRealTokens(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            int vocab = model.config().vocabSize();
            for (JsonNode batch : ref.get("batches")) {
                long[][] ids = batchIds(batch);
                boolean[][] mask = batchMask(batch);
                int rows = ids.length, width = ids[0].length;
                float[] logits = model.forward(scope, Forward.of(ids).withPadding(mask)).logits()
                        .toFloatArray();
                for (int b = 0; b < rows; b++) {
                    for (int t = 0; t < width; t++) {
                        if (!mask[b][t]) continue;
                        Fixtures.assertClose(batch.get("logits").get(b).get(t), logits, (b * width + t) * vocab, TOL,
                                name + " " + batch.get("side").asText() + "-padded row " + b + " position " + t);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void greedyGenerationMatches(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (LanguageModel lm = LanguageModel.load(Fixtures.model(name), Compute.CPU_FLOAT32)) {
            Generator gen = new Generator(lm.transformer(), lm.tokenizer());
            Generator.Settings settings = Generator.Settings.greedy(12, lm.generation().eosTokenIds());
            List<long[]> prompts = new ArrayList<>();
            for (JsonNode g : ref.get("generations")) {
                long[] prompt = Fixtures.longs(g.get("token_ids"));
                prompts.add(prompt);
                Generator.Result r = gen.generate(prompt, settings, null);
                assertArrayEquals(Fixtures.longs(g.get("new_token_ids")), r.tokenIds(), name + " greedy");
            }
            // The same prompts as one left-padded batch give the same tokens.
            List<Generator.Result> batch = gen.generate(prompts, settings, null);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(Fixtures.longs(ref.get("generations").get(i).get("new_token_ids")),
                        batch.get(i).tokenIds(), name + " batched greedy row " + i);
            }
        }
    }

    private static long[][] batchIds(JsonNode batch) {
        JsonNode rows = batch.get("token_ids");
        long[][] ids = new long[rows.size()][];
        for (int b = 0; b < ids.length; b++) ids[b] = Fixtures.longs(rows.get(b));
        return ids;
    }

    /** The batch's attention mask as true for real tokens. */
    private static boolean[][] batchMask(JsonNode batch) {
        JsonNode rows = batch.get("attention_mask");
        boolean[][] mask = new boolean[rows.size()][];
        for (int b = 0; b < mask.length; b++) {
            int[] m = Fixtures.ints(rows.get(b));
            mask[b] = new boolean[m.length];
            for (int t = 0; t < m.length; t++) mask[b][t] = m[t] == 1;
        }
        return mask;
    }
}
