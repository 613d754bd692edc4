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
                Transformer.Output out = model.forward(scope, new long[][] {ids}, null, null, hook,
                        Transformer.Logits.ALL);
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

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void paddedBatchesMatchOnRealTokens(String name) {
        JsonNode ref = Fixtures.reference(name);
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            int vocab = model.config().vocabSize();
            for (JsonNode batch : ref.get("batches")) {
                JsonNode idsNode = batch.get("token_ids"), maskNode = batch.get("attention_mask");
                int rows = idsNode.size(), width = idsNode.get(0).size();
                long[][] ids = new long[rows][];
                boolean[][] mask = new boolean[rows][width];
                for (int b = 0; b < rows; b++) {
                    ids[b] = Fixtures.longs(idsNode.get(b));
                    int[] m = Fixtures.ints(maskNode.get(b));
                    for (int t = 0; t < width; t++) mask[b][t] = m[t] == 1;
                }
                float[] logits = model.forward(scope, ids, mask, null, null, Transformer.Logits.ALL).logits()
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
}
