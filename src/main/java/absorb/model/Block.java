package absorb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One decoder block's weights, named as in transformers: the seven projections, the two norms, and (while the model
 * is not prepared for training) the fused q/k/v and gate/up tensors whose views the projections hold.
 */
public final class Block {
    private final EnumMap<Projection, Linear> projections = new EnumMap<>(Projection.class);
    private final NDArray inputLayernorm, postAttentionLayernorm;
    private final int slidingWindow;
    private Runnable onChange = () -> { };
    /** q, k and v side by side (and gate and up), or null when they are apart. */
    private Fused qkv, gateUp;

    /** A fused weight and its bias (null when the parts have none). */
    private record Fused(NDArray weight, NDArray bias, boolean transposed) {}

    Block(Map<Projection, Linear> projections, NDArray inputLayernorm, NDArray postAttentionLayernorm,
            int slidingWindow) {
        this.projections.putAll(projections);
        if (this.projections.size() != Projection.values().length) throw new IllegalArgumentException("a block needs all seven projections");
        this.inputLayernorm = inputLayernorm;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.slidingWindow = slidingWindow;
    }

    public Linear projection(Projection p) {
        return projections.get(p);
    }

    /** The seven projections in {@link Projection} order. */
    public List<Linear> projections() {
        return List.copyOf(projections.values());
    }

    public NDArray inputLayernorm() {
        return inputLayernorm;
    }

    public NDArray postAttentionLayernorm() {
        return postAttentionLayernorm;
    }

    /** The attention window of this block's layer (0: none). */
    public int slidingWindow() {
        return slidingWindow;
    }

    /** Call after replacing weights or adapters: the model rebuilds what its kernels read on the next forward pass. */
    public void invalidate() {
        onChange.run();
    }

    void onChange(Runnable r) {
        this.onChange = r;
    }

    /**
     * The block's tensors as the decoder kernel reads them (see decoder.py): by transformers' names relative to the
     * block, a weight kept transposed under {@code NAME.weight.T}, adapters under PEFT's names.
     */
    Map<String, PtNDArray> kernelWeights() {
        Map<String, PtNDArray> w = new LinkedHashMap<>();
        w.put("input_layernorm.weight", (PtNDArray) inputLayernorm);
        w.put("post_attention_layernorm.weight", (PtNDArray) postAttentionLayernorm);
        for (Map.Entry<Projection, Linear> e : projections.entrySet()) {
            String name = e.getKey().module;
            Linear l = e.getValue();
            putWeight(w, name, l.storedWeight(), l.bias(), l.isTransposed());
            if (l.hasAdapter()) {
                w.put(name + ".lora_A.weight", (PtNDArray) l.loraA());
                w.put(name + ".lora_B.weight", (PtNDArray) l.loraB());
            }
        }
        if (qkv != null) putWeight(w, "self_attn.qkv_proj", qkv.weight(), qkv.bias(), qkv.transposed());
        if (gateUp != null) putWeight(w, "mlp.gate_up_proj", gateUp.weight(), gateUp.bias(), gateUp.transposed());
        return w;
    }

    private static void putWeight(Map<String, PtNDArray> w, String name, NDArray weight, NDArray bias,
            boolean transposed) {
        w.put(name + (transposed ? ".weight.T" : ".weight"), (PtNDArray) weight);
        if (bias != null) w.put(name + ".bias", (PtNDArray) bias);
    }

    /** Adds the scaling of each adapter of this block (layer {@code layer}) to {@code into}, by its module name. */
    void addScalings(int layer, Map<String, Double> into) {
        projections.forEach((p, l) -> {
            if (l.hasAdapter()) into.put(p.moduleIn(layer), l.loraScaling());
        });
    }

    // ---- fusing ----

    /**
     * Puts q, k and v side by side in one tensor, and gate and up in another, and makes the projections views of them,
     * so that the block computes them in one product each (for one token at a time, fewer and larger reads of memory).
     * The separate tensors are freed. Projections with adapters still run apart, on the views.
     */
    void fuse(NDManager owner) {
        qkv = fuse(List.of(projection(Projection.Q_PROJ), projection(Projection.K_PROJ), projection(Projection.V_PROJ)),
                owner);
        gateUp = fuse(List.of(projection(Projection.GATE_PROJ), projection(Projection.UP_PROJ)), owner);
    }

    boolean isFused() {
        return qkv != null || gateUp != null;
    }

    /** The fused weight and bias of {@code parts}, or null when they cannot fuse (layouts, widths or dtypes differ). */
    private static Fused fuse(List<Linear> parts, NDManager owner) {
        Linear first = parts.get(0);
        for (Linear l : parts) {
            if (l.isTransposed() != first.isTransposed() || l.inFeatures() != first.inFeatures()
                    || (l.bias() == null) != (first.bias() == null)
                    || Compute.dtypeOf(l.storedWeight()) != Compute.dtypeOf(first.storedWeight())) {
                return null;
            }
        }
        List<NDArray> weights = new ArrayList<>(), biases = new ArrayList<>();
        for (Linear l : parts) {
            weights.add(l.storedWeight());
            if (l.bias() != null) biases.add(l.bias());
        }
        NDArray[] weight = WeightKernels.fuse(weights, first.isTransposed() ? 1 : 0, owner);
        NDArray[] bias = biases.isEmpty() ? null : WeightKernels.fuse(biases, 0, owner);
        for (int i = 0; i < parts.size(); i++) {
            Linear l = parts.get(i);
            NDArray oldWeight = l.storedWeight(), oldBias = l.bias();
            l.setStoredWeight(weight[i + 1]);
            if (bias != null) l.setBias(bias[i + 1]);
            oldWeight.close();
            if (oldBias != null) oldBias.close();
        }
        return new Fused(weight[0], bias != null ? bias[0] : null, first.isTransposed());
    }

    /** Gives every projection its own memory again (training updates each in place) and frees the fused tensors. */
    void unfuse() {
        if (qkv != null) ownMemory(List.of(projection(Projection.Q_PROJ), projection(Projection.K_PROJ),
                projection(Projection.V_PROJ)));
        if (gateUp != null) ownMemory(List.of(projection(Projection.GATE_PROJ), projection(Projection.UP_PROJ)));
        for (Fused f : new Fused[] {qkv, gateUp}) {
            if (f == null) continue;
            f.weight().close();
            if (f.bias() != null) f.bias().close();
        }
        qkv = gateUp = null;
        invalidate();
    }

    /** Replaces the views that {@code parts} hold (weight and bias) by copies in memory of their own. */
    private static void ownMemory(List<Linear> parts) {
        for (Linear l : parts) {
            NDArray w = l.storedWeight(), bias = l.bias();
            l.setStoredWeight(WeightKernels.ownCopy(w));
            w.close();
            if (bias != null) {
                l.setBias(WeightKernels.ownCopy(bias));
                bias.close();
            }
        }
    }
}
