package absorb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.internal.NDArrayEx;

/**
 * A projection y = x W^T + b, as torch.nn.Linear, with an optional low-rank adapter (LoRA):
 * y += scaling * (dropout(x) A^T) B^T, where A is [rank, in] and B is [out, rank].
 */
public final class Linear {
    private NDArray weight;
    private NDArray bias;
    private NDArray loraA;
    private NDArray loraB;
    private double loraScaling;
    private float loraDropout;
    private boolean training;

    public Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public NDArray apply(NDArray x) {
        NDArrayEx ex = x.getNDArrayInternal();
        NDArray y = single(ex.linear(x, weight, bias));
        if (loraA == null) return y;
        NDArray input = x;
        if (training && loraDropout > 0) input = single(ex.dropout(x, loraDropout, true));
        NDArray low = single(input.getNDArrayInternal().linear(input, loraA, null));
        NDArray delta = single(low.getNDArrayInternal().linear(low, loraB, null));
        return y.add(delta.mul(loraScaling));
    }

    private static NDArray single(NDList list) {
        return list.singletonOrThrow();
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public void setWeight(NDArray weight) {
        this.weight = weight;
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
    public void setAdapter(NDArray a, NDArray b, double scaling, float dropout) {
        this.loraA = a;
        this.loraB = b;
        this.loraScaling = scaling;
        this.loraDropout = dropout;
    }

    /** Dropout on the adapter's input applies only while training. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    public int inFeatures() {
        return (int) weight.getShape().get(1);
    }

    public int outFeatures() {
        return (int) weight.getShape().get(0);
    }
}
