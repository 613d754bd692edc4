package absorb.model;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The tensors a checkpoint of a configuration holds, by transformers' names, with their shapes; and which of them
 * absorb keeps transposed, [in, out] (the wide projections, see {@link Linear}).
 */
public final class CheckpointTensors {
    private CheckpointTensors() {}

    /** The tensors a checkpoint of this configuration holds, with their shapes, in transformers' order. */
    public static Map<String, Shape> expected(ModelConfig c) {
        Map<String, Shape> t = new LinkedHashMap<>();
        long h = c.hiddenSize();
        t.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            for (Projection p : Projection.values()) {
                String name = p.moduleIn(i);
                t.put(name + ".weight", new Shape(outFeatures(c, p), inFeatures(c, p)));
                if (hasBias(c, p)) t.put(name + ".bias", new Shape(outFeatures(c, p)));
            }
            String prefix = "model.layers." + i + ".";
            t.put(prefix + "input_layernorm.weight", new Shape(h));
            t.put(prefix + "post_attention_layernorm.weight", new Shape(h));
        }
        t.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) t.put("lm_head.weight", new Shape(c.vocabSize(), h));
        return t;
    }

    /** Output width of a projection: heads x head_dim for q, key/value heads x head_dim for k and v. */
    static long outFeatures(ModelConfig c, Projection p) {
        return switch (p) {
            case Q_PROJ -> (long) c.numAttentionHeads() * c.headDim();
            case K_PROJ, V_PROJ -> (long) c.numKeyValueHeads() * c.headDim();
            case O_PROJ, DOWN_PROJ -> c.hiddenSize();
            case GATE_PROJ, UP_PROJ -> c.intermediateSize();
        };
    }

    static long inFeatures(ModelConfig c, Projection p) {
        return switch (p) {
            case O_PROJ -> (long) c.numAttentionHeads() * c.headDim();
            case DOWN_PROJ -> c.intermediateSize();
            default -> c.hiddenSize();
        };
    }

    /** Llama's attention_bias (Qwen2's q/k/v biases), its o_proj bias and mlp_bias. */
    static boolean hasBias(ModelConfig c, Projection p) {
        return switch (p) {
            case Q_PROJ, K_PROJ, V_PROJ -> c.attentionBias();
            case O_PROJ -> c.outputBias();
            case GATE_PROJ, UP_PROJ, DOWN_PROJ -> c.mlpBias();
        };
    }

    /** The tensors that this model keeps transposed: a loader may read them straight into that layout. */
    public static Set<String> readTransposed(ModelConfig c) {
        Set<String> out = new LinkedHashSet<>();
        for (Map.Entry<String, Shape> e : expected(c).entrySet()) {
            String n = e.getKey();
            boolean projection = n.endsWith("_proj.weight") || n.equals("lm_head.weight")
                    || (n.equals("model.embed_tokens.weight") && c.tieWordEmbeddings());
            if (projection && Linear.prefersTransposed(e.getValue().get(0), e.getValue().get(1))) out.add(n);
        }
        return out;
    }
}
