package absorb.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import absorb.model.Forward;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LoraAdapter;
import absorb.model.Transformer;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interchange with transformers and PEFT (tools/make_roundtrip_fixtures.py): a model and an adapter that absorb
 * trained and saved give, in transformers / PEFT, the logits absorb computes from them; an adapter PEFT saved gives
 * in absorb the logits PEFT computed, applied and merged.
 */
class RoundTripTest {
    private static final Path ROOT = Path.of("src/test/resources/fixtures");
    private static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    private static JsonNode reference(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("reference_logits.json").toFile());
    }

    private static void assertLogits(JsonNode expected, float[] actual) {
        int vocab = expected.get(0).size();
        for (int t = 0; t < expected.size(); t++) {
            for (int v = 0; v < vocab; v++) {
                double e = expected.get(t).get(v).asDouble(), a = actual[t * vocab + v];
                assertEquals(e, a, TOL * (1 + Math.abs(e)), "position " + t + " token " + v);
            }
        }
    }

    private static float[] logits(LanguageModel lm, JsonNode ref) {
        long[] ids = lm.tokenizer().encode(ref.get("prompt").asText());
        long[] expected = new long[ref.get("token_ids").size()];
        for (int i = 0; i < expected.length; i++) expected[i] = ref.get("token_ids").get(i).asLong();
        assertArrayEquals(expected, ids);
        try (NDManager scope = lm.transformer().compute().newManager()) {
            return lm.transformer().forward(scope, Forward.of(new long[][] {ids}))
                    .logits().toFloatArray();
        }
    }

    @Test
    void fullModelSavedByAbsorbLoadsInTransformers() throws IOException {
        Path dir = ROOT.resolve("roundtrip/absorb_full");
        JsonNode ref = reference(dir);
        try (LanguageModel lm = LanguageModel.load(dir, Compute.CPU_FLOAT32)) {
            assertLogits(ref.get("logits"), logits(lm, ref));
        }
    }

    @Test
    void adapterSavedByAbsorbLoadsInPeft() throws IOException {
        Path dir = ROOT.resolve("roundtrip/absorb_lora");
        JsonNode ref = reference(dir);
        try (LanguageModel lm = LanguageModel.load(ROOT.resolve("engine/llama"), dir, Compute.CPU_FLOAT32)) {
            assertLogits(ref.get("logits"), logits(lm, ref));
        }
    }

    @Test
    void adapterSavedByPeftLoadsInAbsorbAndMerges() throws IOException {
        Path dir = ROOT.resolve("roundtrip/peft_lora");
        JsonNode ref = reference(dir);
        Path base = ROOT.resolve("engine/qwen2");
        try (LanguageModel lm = LanguageModel.load(base, dir, Compute.CPU_FLOAT32)) {
            assertLogits(ref.get("logits"), logits(lm, ref));
            LoraAdapter.merge(lm.transformer());
            assertLogits(ref.get("merged_logits"), logits(lm, ref));
            Checkpoint.save(lm.transformer(), tmp.resolve("merged"), base);
        }
        try (LanguageModel merged = LanguageModel.load(tmp.resolve("merged"), Compute.CPU_FLOAT32)) {
            assertLogits(ref.get("merged_logits"), logits(merged, ref));
        }
    }
}
