package absorb.train;

import absorb.runtime.Kernel;
import absorb.runtime.TorchScript;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW, preceded by clipping of the global gradient norm. The
 * update runs in one call into the kernel in {@code absorb/train/adamw.py}, which also zeroes the gradients.
 */
public final class AdamW implements AutoCloseable {
    private static final Kernel STEP = TorchScript.load("absorb/train/adamw.py").kernel("step", Kernel.Mode.COMPUTES);
    private static final Kernel HOLD = TorchScript.load("absorb/train/adamw.py").kernel("hold_gradient",
            Kernel.Mode.WRITES_GRADIENTS);
    private static final Kernel ANCHOR = TorchScript.load("absorb/train/adamw.py").kernel("anchor",
            Kernel.Mode.WRITES_GRADIENTS);
    private static final Kernel RESTORE = TorchScript.load("absorb/train/adamw.py").kernel("restore",
            Kernel.Mode.WRITES_GRADIENTS);

    private final Map<String, NDArray> params;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final boolean[] decays;
    private final double weightDecay, beta1, beta2, eps;
    private final NDManager manager;
    /** Held parameters: the mask of the entries that train (1) or are held (0), and the held entries' values. */
    private final Map<String, NDArray[]> held = new LinkedHashMap<>();
    /** With {@link #anchor}: the parameters, their values then, and the rate of the decay toward them. */
    private IValue anchorParams, anchorStarts;
    private double anchorRate;
    /** Parameters, first and second moments, with weight decay and without (lists the update kernel works on). */
    private IValue[] decayed, plain;

    /** {@code decays} says, per parameter name, whether weight decay applies (transformers skips biases and norms). */
    public AdamW(Map<String, NDArray> params, double weightDecay, java.util.function.Predicate<String> decays,
            double beta1, double beta2, double eps, NDManager parent) {
        this.params = params;
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.manager = parent.newSubManager();
        this.decays = new boolean[params.size()];
        int i = 0;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            expAvg.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
            expAvgSq.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
            this.decays[i++] = decays.test(e.getKey()) && weightDecay != 0;
        }
    }

    /**
     * Holds the entries of parameter {@code name} where {@code keep} (1 or 0, broadcast to the parameter's shape) is 0 at
     * their present values: every step zeroes their gradient before clipping and the update, and puts them back after
     * it, so that weight decay does not move them either.
     */
    public void hold(String name, float[] keep, ai.djl.ndarray.types.Shape keepShape) {
        NDArray p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        NDArray k = manager.create(keep, keepShape).toType(p.getDataType(), false);
        NDArray start = p.stopGradient().mul(k.neg().add(1));
        start.attach(manager);
        held.put(name, new NDArray[] {k, start});
    }

    /**
     * Decays every parameter toward its present value after each update, by {@code rate} times the learning rate:
     * {@code p += lr * rate * (p_start - p)}, weight decay toward the starting point instead of toward zero (the
     * L2-SP penalty, decoupled as AdamW decouples weight decay). Keeps a copy of every parameter; 0 turns it off.
     */
    public void anchor(double rate) {
        if (!(rate >= 0)) throw new IllegalArgumentException("anchor rate " + rate);
        if (anchorParams != null) {
            anchorParams.close();
            anchorStarts.close();
            anchorParams = anchorStarts = null;
        }
        anchorRate = rate;
        if (rate == 0) return;
        List<PtNDArray> ps = new ArrayList<>(), starts = new ArrayList<>();
        for (NDArray p : params.values()) {
            ps.add((PtNDArray) p);
            NDArray c = p.stopGradient().duplicate();
            c.attach(manager);
            starts.add((PtNDArray) c);
        }
        anchorParams = IValue.listFrom(ps.toArray(PtNDArray[]::new));
        anchorStarts = IValue.listFrom(starts.toArray(PtNDArray[]::new));
    }

    /** transformers' Trainer rule: no weight decay on biases and normalisation weights. */
    public static boolean decaysByDefault(String name) {
        return !name.endsWith(".bias") && !name.contains("norm");
    }

    /**
     * Clips the gradients to {@code maxNorm} (0: no clipping), applies update number {@code step} (1-based) with
     * learning rate {@code lr}, zeroes the gradients, and returns the gradient norm before clipping.
     */
    public double step(int step, double lr, double maxNorm) {
        if (decayed == null) {
            decayed = group(true);
            plain = group(false);
        }
        held.forEach((name, h) -> HOLD.call(params.get(name), h[0]).close());
        try (NDManager scope = manager.newSubManager()) {
            NDArray norm = STEP.tensor(scope, decayed[0], decayed[1], decayed[2], plain[0], plain[1], plain[2],
                    weightDecay, step, lr, beta1, beta2, eps, maxNorm);
            if (anchorParams != null) ANCHOR.call(anchorParams, anchorStarts, lr * anchorRate).close();
            held.forEach((name, h) -> RESTORE.call(params.get(name), h[0], h[1]).close());
            return norm.toFloatArray()[0];
        }
    }

    /** The parameters, first and second moments that have weight decay ({@code withDecay}) or not, as lists. */
    private IValue[] group(boolean withDecay) {
        List<List<PtNDArray>> lists = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        int i = 0;
        for (String name : params.keySet()) {
            if (decays[i++] != withDecay) continue;
            lists.get(0).add((PtNDArray) params.get(name));
            lists.get(1).add((PtNDArray) expAvg.get(name));
            lists.get(2).add((PtNDArray) expAvgSq.get(name));
        }
        IValue[] out = new IValue[3];
        for (int k = 0; k < 3; k++) out[k] = IValue.listFrom(lists.get(k).toArray(PtNDArray[]::new));
        return out;
    }

    public Map<String, NDArray> expAvg() {
        return expAvg;
    }

    public Map<String, NDArray> expAvgSq() {
        return expAvgSq;
    }

    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }

    @Override
    public void close() {
        for (IValue[] g : new IValue[][] {decayed, plain}) if (g != null) for (IValue v : g) v.close();
        if (anchorParams != null) {
            anchorParams.close();
            anchorStarts.close();
        }
        manager.close();
    }
}
