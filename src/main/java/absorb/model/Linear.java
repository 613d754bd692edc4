package absorb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A projection y = x W^T + b, as torch.nn.Linear, holding an optional low-rank adapter (LoRA) that the decoder
 * block applies: y += scaling * (dropout(x) A^T) B^T, where A is [rank, in] and B is [out, rank].
 *
 * <p>Wide projections (many more outputs than inputs, such as gate/up and lm_head) keep W transposed, [in, out]
 * contiguous, and compute x W^T as a plain matrix product: for one token at a time that reads memory in order and
 * runs about twice as fast as torch's linear on the [out, in] layout. {@link #weight} always gives [out, in].
 */
public final class Linear {
    private NDArray stored;
    private final boolean transposed;
    private NDArray bias;
    private NDArray loraA;
    private NDArray loraB;
    private double loraScaling;

    /** {@code weight} is [out, in] as in a checkpoint; it is transposed in place of the original when wide. */
    public Linear(NDArray weight, NDArray bias) {
        this.transposed = prefersTransposed(weight.getShape().get(0), weight.getShape().get(1));
        this.stored = transposed ? contiguousTranspose(weight) : weight;
        this.bias = bias;
    }

    /**
     * A wide projection whose weight was read straight into the transposed layout, [in, out] (see
     * {@link Safetensors#readTransposed}): no second copy of it is ever made.
     */
    static Linear ofTransposed(NDArray weightT, NDArray bias) {
        return new Linear(weightT, bias, true);
    }

    private Linear(NDArray stored, NDArray bias, boolean transposed) {
        if (!prefersTransposed(stored.getShape().get(1), stored.getShape().get(0))) {
            throw new IllegalArgumentException("a [in, out] weight of shape " + stored.getShape() + " is not wide");
        }
        this.stored = stored;
        this.bias = bias;
        this.transposed = transposed;
    }

    /** Where one-token products run faster on W^T: outputs at least twice the inputs. */
    static boolean prefersTransposed(long out, long in) {
        return out >= 2 * in;
    }

    /**
     * W^T with its own row-major memory (flattening a transposed view copies it in the new order; the final copy
     * makes it a tensor of its own rather than a view, so that training may update it in place). The intermediate
     * tensors are closed with W, so their memory is freed now rather than with the model.
     */
    private static NDArray contiguousTranspose(NDArray w) {
        long in = w.getShape().get(1), out = w.getShape().get(0);
        NDArray view = w.transpose(1, 0);
        NDArray flat = view.flatten();
        view.close();
        w.close();
        NDArray shaped = flat.reshape(in, out);
        NDArray t = shaped.duplicate();
        shaped.close();
        flat.close();
        return t;
    }

    /**
     * x W^T + b, through the product kernel (which splits a one-row product across two threads). Adapters are applied
     * inside the decoder block kernel, where they train.
     */
    public NDArray apply(NDArray x) {
        NDArray none = bias == null ? x.getManager().create(new float[0]) : null;
        try {
            return DecoderKernels.product(x, stored, bias != null ? bias : none, transposed);
        } finally {
            if (none != null) none.close();
        }
    }

    /**
     * The weight as [out, in]: when stored transposed, a view owned by {@code scope} (made afresh each time, so that
     * it carries the grad mode of its use).
     */
    public NDArray weight(NDManager scope) {
        if (!transposed) return stored;
        NDArray view = stored.transpose(1, 0);
        view.attach(scope);
        return view;
    }

    /** The tensor as stored: [out, in], or [in, out] when {@link #isTransposed()}. */
    public NDArray storedWeight() {
        return stored;
    }

    public boolean isTransposed() {
        return transposed;
    }

    public NDArray bias() {
        return bias;
    }

    /** Replaces the stored tensor (same orientation as {@link #storedWeight()}). */
    void setStoredWeight(NDArray weight) {
        this.stored = weight;
    }

    /** Replaces the bias (null: none). */
    void setBias(NDArray bias) {
        this.bias = bias;
    }

    public boolean hasAdapter() {
        return loraA != null;
    }

    public NDArray loraA() {
        return loraA;
    }

    public NDArray loraB() {
        return loraB;
    }

    public double loraScaling() {
        return loraScaling;
    }

    /** Attaches a LoRA adapter (A: [rank, in], B: [out, rank]); null removes it. */
    public void setAdapter(NDArray a, NDArray b, double scaling) {
        this.loraA = a;
        this.loraB = b;
        this.loraScaling = scaling;
    }

    public int inFeatures() {
        return (int) stored.getShape().get(transposed ? 0 : 1);
    }

    public int outFeatures() {
        return (int) stored.getShape().get(transposed ? 1 : 0);
    }
}
