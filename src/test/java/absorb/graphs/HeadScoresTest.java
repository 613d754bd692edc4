package absorb.graphs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.Safetensors;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Head scores on a model built so that their values are known: one block of two heads whose queries and keys are
 * constant vectors (zero projection weights, only biases), so that after the rotary embedding the score of query m on
 * key n depends on n - m alone. Head 0's query (A, 0) and key (cos 1, sin 1) on the rotary pair of frequency 1 give
 * A cos(n - m + 1): largest at n = m - 1, and with A = 1e5 every other key at least 440 lower (cos k <= 0.9912 for
 * 1 <= k <= 40), so the head attends to the previous position with probability 1 to float precision. Head 1's query
 * and key are zero: it attends uniformly to every visible key, 1 / (q + 1) each.
 */
class HeadScoresTest {
    private static final int HIDDEN = 8, VOCAB = 12;

    @TempDir
    Path tmp;

    private Transformer previousTokenModel() throws IOException {
        Files.writeString(tmp.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 4,
                 "vocab_size": 12, "attention_bias": true, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                 "max_position_embeddings": 64, "tie_word_embeddings": false}""");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            java.util.Random r = new java.util.Random(3);
            w.put("model.embed_tokens.weight", random(m, r, VOCAB, HIDDEN));
            w.put("lm_head.weight", random(m, r, VOCAB, HIDDEN));
            w.put("model.norm.weight", m.ones(new Shape(HIDDEN)));
            String p = "model.layers.0.";
            w.put(p + "input_layernorm.weight", m.ones(new Shape(HIDDEN)));
            w.put(p + "post_attention_layernorm.weight", m.ones(new Shape(HIDDEN)));
            // head 0: dims 0..3, the rotary pair of frequency 1 is (0, 2); head 1 (dims 4..7) all zero
            float[] qBias = new float[8], kBias = new float[8];
            qBias[0] = 1e5f;
            kBias[0] = (float) Math.cos(1);
            kBias[2] = (float) Math.sin(1);
            for (String proj : new String[] {"q_proj", "k_proj"}) {
                w.put(p + "self_attn." + proj + ".weight", m.zeros(new Shape(8, HIDDEN)));
                w.put(p + "self_attn." + proj + ".bias", m.create(proj.equals("q_proj") ? qBias : kBias));
            }
            w.put(p + "self_attn.v_proj.weight", random(m, r, 8, HIDDEN));
            w.put(p + "self_attn.v_proj.bias", m.zeros(new Shape(8)));
            w.put(p + "self_attn.o_proj.weight", random(m, r, HIDDEN, 8));
            w.put(p + "self_attn.o_proj.bias", m.zeros(new Shape(HIDDEN)));
            w.put(p + "mlp.gate_proj.weight", random(m, r, 16, HIDDEN));
            w.put(p + "mlp.up_proj.weight", random(m, r, 16, HIDDEN));
            w.put(p + "mlp.down_proj.weight", random(m, r, HIDDEN, 16));
            Safetensors.write(tmp.resolve("model.safetensors"), w, Map.of("format", "pt"));
        }
        return Checkpoint.load(tmp, Compute.CPU_FLOAT32);
    }

    private static NDArray random(NDManager m, java.util.Random r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (0.3 * r.nextGaussian());
        return m.create(v, new Shape(rows, cols)).toType(DataType.FLOAT32, false);
    }

    @Test
    void anExactPreviousTokenHeadAndAUniformOne() throws IOException {
        int length = 8, offset = 1;
        long[][] ids = new long[3][offset + 2 * length];
        java.util.Random r = new java.util.Random(5);
        for (long[] row : ids) {
            row[0] = 0; // stands for BOS
            for (int t = 0; t < length; t++) row[offset + t] = row[offset + length + t] = 1 + r.nextInt(VOCAB - 1);
        }
        try (Transformer model = previousTokenModel()) {
            HeadScores.Scores s = HeadScores.onRepeated(model, ids, offset, length);
            assertEquals(1.0, s.previous()[0][0], 1e-6, "head 0 attends to the previous token");
            assertEquals(0.0, s.induction()[0][0], 1e-6, "and never to the token after the previous occurrence");
            double previous = 0, induction = 0;
            int n = offset + 2 * length;
            for (int q = offset + 1; q < n; q++) previous += 1.0 / (q + 1) / (n - offset - 1);
            for (int q = offset + length; q < n; q++) induction += 1.0 / (q + 1) / length;
            assertEquals(previous, s.previous()[0][1], 1e-6, "uniform head: mean of 1 / (q + 1)");
            assertEquals(induction, s.induction()[0][1], 1e-6);
            assertEquals(List.of(new HeadScores.Head(0, 0)), s.top("previous", 1));
            assertEquals(List.of(new HeadScores.Head(0, 1)), s.top("induction", 1));
            assertThrows(AbsorbException.class, () -> s.top("induction", 3));

            // a walk 1 2 1 3 1 2 after BOS: the queries with an earlier occurrence are 3 (target 2), 5 (target 4) and
            // 6 (target 3); the previous-token head hits the first two
            long[][] walk = {{0, 1, 2, 1, 3, 1, 2}};
            HeadScores.Scores w = HeadScores.onSequences(model, walk, 1, "a walk");
            assertEquals(1.0, w.previous()[0][0], 1e-6);
            assertEquals(2 / 3.0, w.induction()[0][0], 1e-6, "head 0 hits the induction target at q = 3 and 5");
            assertEquals((1.0 / 4 + 1.0 / 6 + 1.0 / 7) / 3, w.induction()[0][1], 1e-6);
        }
    }

    /** Sequences go through in groups when one block's patterns would pass the budget; the scores do not change. */
    @Test
    void groupsOfSequencesGiveTheSameScores() throws IOException {
        long[][] ids = new long[5][17];
        java.util.Random r = new java.util.Random(9);
        for (long[] row : ids) for (int t = 1; t < row.length; t++) row[t] = 1 + r.nextInt(VOCAB - 1);
        try (Transformer model = previousTokenModel()) {
            HeadScores.Scores whole = HeadScores.onSequences(model, ids, 1, "all at once");
            HeadScores.Scores grouped = HeadScores.measure(model, ids, HeadScores.inductionTargets(ids, 1),
                    HeadScores.previousTargets(ids, 1), "in groups", 2L * 2 * 17 * 17 * 4);
            for (int h = 0; h < 2; h++) {
                assertEquals(whole.induction()[0][h], grouped.induction()[0][h], 1e-6);
                assertEquals(whole.previous()[0][h], grouped.previous()[0][h], 1e-6);
            }
        }
    }

    @Test
    void headsParseAndRefuseWhatDoesNotExist() {
        assertEquals(new HeadScores.Head(1, 3), HeadScores.Head.parse("1.3", 4, 4));
        AbsorbException e = assertThrows(AbsorbException.class, () -> HeadScores.Head.parse("4.0", 4, 4));
        assertTrue(e.getMessage().contains("Head 4.0 does not exist: the model has 4 layers (0 to 3) of 4 heads"),
                e.getMessage());
        assertThrows(AbsorbException.class, () -> HeadScores.Head.parse("1", 4, 4));
    }
}
