package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hook points inside a block, read and written, against transformers (tools/make_hook_fixtures.py): every point
 * of every block with eager attention, and the logits after a zero-ablated head (a forward pre-hook on o_proj in
 * transformers), a position patched from another run, a mean over a reference batch and a function of a point.
 */
class HookParityTest {
    private static final double TOL = 1e-4;

    private static JsonNode fixture(String name) throws IOException {
        return new ObjectMapper().readTree(Fixtures.model(name).resolve("hooks.json").toFile());
    }

    private static long[][] ids(JsonNode node) {
        return new long[][] {Fixtures.longs(node)};
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void everyPointReadsAsTransformersComputesIt(String name) throws IOException {
        JsonNode ref = fixture(name);
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            Map<String, float[]> captured = new LinkedHashMap<>();
            Transformer.Output out = model.forward(scope, Forward.of(ids(ref.get("token_ids")))
                    .withHook(Transformer.ResidualHook.collect(p -> true, captured)));
            assertEquals(HookPoint.all(model.layers()), List.copyOf(captured.keySet()), "the order a pass reaches them");
            Fixtures.assertClose2d(ref.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " logits");
            ref.get("points").fields().forEachRemaining(e -> assertNested(e.getValue(), captured.get(e.getKey()),
                    name + " " + e.getKey()));
            assertEquals(7 * model.layers(), ref.get("points").size());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void writesGiveTransformersLogits(String name) throws IOException {
        JsonNode ref = fixture(name), w = ref.get("writes");
        long[][] ids = ids(ref.get("token_ids"));
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            JsonNode zero = w.get("zero_head");
            Transformer.Output out = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.zero(zero.get("point").asText()).heads(zero.get("heads").get(0).asInt()))));
            Fixtures.assertClose2d(zero.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " zero head");
            assertTrue(out.changes().get(0).changed());

            JsonNode patch = w.get("patch");
            String point = patch.get("point").asText();
            NDArray source = read(model, scope, ids(patch.get("source_token_ids")), point);
            int p = patch.get("positions").get(0).asInt();
            out = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.replace(point, source).positions(p)))).requireChanges();
            Fixtures.assertClose2d(patch.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " patch");

            JsonNode mean = w.get("mean");
            JsonNode refIds = mean.get("reference_token_ids");
            long[][] batch = {Fixtures.longs(refIds.get(0)), Fixtures.longs(refIds.get(1))};
            NDArray reference = read(model, scope, batch, mean.get("point").asText());
            out = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.mean(mean.get("point").asText(), reference)))).requireChanges();
            Fixtures.assertClose2d(mean.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " mean");

            JsonNode scale = w.get("scale");
            float factor = (float) scale.get("factor").asDouble();
            out = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.apply(scale.get("point").asText(), x -> x.mul(factor))))).requireChanges();
            Fixtures.assertClose2d(scale.get("logits"), out.logits().toFloatArray(), 0, TOL, name + " scale");
        }
    }

    /**
     * Reading every point changes no number: the hooked blocks give the unhooked pass's logits. Zeroing a head's
     * attention pattern is zeroing its z; replacing a point with its own value changes nothing and is refused.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void hookedAndUnhookedPassesAgree(String name) throws IOException {
        long[][] ids = ids(fixture(name).get("token_ids"));
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            float[] plain = model.forward(scope, Forward.of(ids)).logits().toFloatArray();
            List<Intervention> reads = new ArrayList<>();
            for (String p : HookPoint.all(model.layers())) {
                if (!p.endsWith("attn.pattern")) reads.add(Intervention.read(p, x -> { }));
            }
            float[] hooked = model.forward(scope, Forward.of(ids).withInterventions(reads)).logits().toFloatArray();
            for (int i = 0; i < plain.length; i++) assertEquals(plain[i], hooked[i], 1e-6, name + " logit " + i);
            int last = model.layers() - 1;
            float[] viaPattern = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.zero(HookPoint.attnPattern(last)).heads(0)))).logits().toFloatArray();
            float[] viaZ = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.zero(HookPoint.attnZ(last)).heads(0)))).logits().toFloatArray();
            for (int i = 0; i < viaZ.length; i++) assertEquals(viaZ[i], viaPattern[i], 1e-4, name + " logit " + i);
            NDArray own = read(model, scope, ids, HookPoint.residMid(0));
            Transformer.Output same = model.forward(scope, Forward.of(ids).withInterventions(List.of(
                    Intervention.replace(HookPoint.residMid(0), own))));
            assertEquals(0.0, same.changes().get(0).changeNorm());
            AbsorbException e = assertThrows(AbsorbException.class, same::requireChanges);
            assertTrue(e.getMessage().contains("replace at blocks.0.resid_mid changed nothing"), e.getMessage());
        }
    }

    /** Next-token logits with a point of the last block hooked, and a hooked pass that extends a KV cache. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "mistral"})
    void hooksWorkWithLastLogitsAndTheCache(String name) throws IOException {
        long[] all = Fixtures.longs(fixture(name).get("token_ids"));
        int n = all.length, split = n - 3;
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            String z = HookPoint.attnZ(model.layers() - 1);
            List<Intervention> ablate = List.of(Intervention.zero(z).heads(1));
            float[] full = model.forward(scope, Forward.of(new long[][] {all}).withInterventions(ablate)).logits()
                    .toFloatArray();
            int vocab = model.config().vocabSize();
            float[] last = model.forward(scope, Forward.of(new long[][] {all}).withInterventions(ablate)
                    .withLogits(Transformer.Logits.LAST)).logits().toFloatArray();
            for (int v = 0; v < vocab; v++) assertEquals(full[(n - 1) * vocab + v], last[v], 1e-4, name + " last " + v);
            try (KvCache cache = new KvCache(scope, model.layers(), 1)) {
                model.forward(scope, Forward.of(new long[][] {java.util.Arrays.copyOf(all, split)}).withCache(cache)
                        .withInterventions(ablate));
                float[] rest = model.forward(scope, Forward.of(new long[][] {java.util.Arrays.copyOfRange(all, split, n)})
                        .withCache(cache).withInterventions(ablate)).logits().toFloatArray();
                for (int i = 0; i < rest.length; i++) {
                    assertEquals(full[split * vocab + i], rest[i], 1e-4, name + " cached " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama"})
    void badInterventionsAreOneSentence(String name) {
        try (Transformer model = Checkpoint.load(Fixtures.model(name), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            long[][] ids = {{1, 2, 3, 4}};
            String unknown = message(model, scope, ids, Intervention.zero("blocks.1.attn.q"));
            assertTrue(unknown.contains("Hook point blocks.1.attn.q does not exist in a 3-layer model")
                    && unknown.contains("blocks.{0..2}.attn.z") && unknown.contains("final_norm"), unknown);
            assertTrue(message(model, scope, ids, Intervention.zero("blocks.3.attn.z")).contains("does not exist"));
            assertTrue(message(model, scope, ids, Intervention.zero("blocks.0.attn.z").heads(4))
                    .contains("Head 4 does not exist at blocks.0.attn.z: the model has 4 heads per layer (0 to 3)."));
            assertTrue(message(model, scope, ids, Intervention.zero("blocks.0.resid_mid").heads(0)).contains("has no heads"));
            assertTrue(message(model, scope, ids, Intervention.zero("blocks.0.mlp_out").positions(9)).contains("beyond"));
            NDArray wrong = scope.zeros(new Shape(1, 3, 7));
            assertTrue(message(model, scope, ids, Intervention.replace("blocks.0.resid_pre", wrong)).contains("does not fit"));
        }
    }

    private static String message(Transformer model, NDManager scope, long[][] ids, Intervention iv) {
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> model.forward(scope, Forward.of(ids).withInterventions(List.of(iv))));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    /**
     * Reading attn.pattern computes the probabilities a few sequences at a time (decoder.py's attention_pattern): on a
     * left-padded batch of 5 rows (on the bundled graph model, of 300 tokens a chunk per row; of 120, four rows and
     * one), every row's probabilities over its real tokens are those of the row alone, and z from them is the z of the
     * pass that does not make them (the flash kernel), as are the logits.
     */
    @ParameterizedTest
    @ValueSource(ints = {300, 120})
    void probabilitiesReadInChunksAreEachRowsOwn(int t) {
        int rows = 5;
        try (Transformer model = Checkpoint.load(java.nio.file.Path.of("models/graphs-small"), Compute.CPU_FLOAT32);
                NDManager scope = model.compute().newManager()) {
            java.util.Random r = new java.util.Random(4);
            long[][] ids = new long[rows][t];
            boolean[][] real = new boolean[rows][t];
            for (int b = 0; b < rows; b++) {
                int pad = 7 * b;
                for (int i = 0; i < t; i++) {
                    real[b][i] = i >= pad;
                    ids[b][i] = real[b][i] ? 3 + r.nextInt(model.config().vocabSize() - 3) : 0;
                }
            }
            String pattern = HookPoint.attnPattern(1), z = HookPoint.attnZ(1);
            Map<String, float[]> withPattern = new LinkedHashMap<>(), flash = new LinkedHashMap<>();
            float[] logits = model.forward(scope, Forward.of(ids).withPadding(real).withHook(Transformer.ResidualHook
                    .collect(p -> p.equals(pattern) || p.equals(z), withPattern))).logits().toFloatArray();
            float[] flashLogits = model.forward(scope, Forward.of(ids).withPadding(real).withHook(Transformer.ResidualHook
                    .collect(p -> p.equals(z), flash))).logits().toFloatArray();
            for (int i = 0; i < logits.length; i++) assertEquals(flashLogits[i], logits[i], 1e-4, "logit " + i);
            float[] zs = withPattern.get(z), flashZ = flash.get(z);
            int heads = model.config().numAttentionHeads();
            for (int b = 0; b < rows; b++) {
                int pad = 7 * b, n = t - pad;
                long[][] alone = {java.util.Arrays.copyOfRange(ids[b], pad, t)};
                Map<String, float[]> own = new LinkedHashMap<>();
                model.forward(scope, Forward.of(alone).withHook(Transformer.ResidualHook.collect(p -> p.equals(pattern), own)));
                float[] p = withPattern.get(pattern), q = own.get(pattern);
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            long at = (((long) b * heads + h) * t + pad + i) * t + pad + j;
                            assertEquals(q[(h * n + i) * n + j], p[(int) at], 1e-5, "row " + b + " head " + h);
                        }
                    }
                }
                int width = zs.length / (rows * t);
                for (int i = pad * width; i < t * width; i++) {
                    assertEquals(flashZ[b * t * width + i], zs[b * t * width + i], 1e-5, "z of row " + b);
                }
            }
        }
    }

    /** The value at {@code point} on {@code ids}, kept in {@code scope}. */
    private static NDArray read(Transformer model, NDManager scope, long[][] ids, String point) {
        NDArray[] kept = new NDArray[1];
        model.forward(scope, Forward.of(ids).withInterventions(List.of(Intervention.read(point, x -> kept[0] = x.duplicate()))));
        return kept[0];
    }

    /** A nested JSON array of any depth against a flat array in the same order. */
    private static void assertNested(JsonNode expected, float[] actual, String what) {
        List<Double> flat = new ArrayList<>();
        flatten(expected, flat);
        assertEquals(flat.size(), actual.length, what + ": size");
        for (int i = 0; i < actual.length; i++) {
            double e = flat.get(i);
            assertTrue(Math.abs(actual[i] - e) <= TOL * (1 + Math.abs(e)), what + "[" + i + "]: expected " + e + " got " + actual[i]);
        }
    }

    private static void flatten(JsonNode node, List<Double> out) {
        if (node.isArray()) node.forEach(n -> flatten(n, out));
        else out.add(node.asDouble());
    }
}
