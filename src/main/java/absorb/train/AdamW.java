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

    private final Map<String, NDArray> params;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final boolean[] decays;
    private final double weightDecay, beta1, beta2, eps;
    private final NDManager manager;
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
        try (NDManager scope = manager.newSubManager()) {
            NDArray norm = STEP.tensor(scope, decayed[0], decayed[1], decayed[2], plain[0], plain[1], plain[2],
                    weightDecay, step, lr, beta1, beta2, eps, maxNorm);
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
        manager.close();
    }
}
