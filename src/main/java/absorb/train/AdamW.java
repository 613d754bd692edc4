package absorb.train;

import absorb.model.TorchKernels;
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
 * update runs in one call into {@link TorchKernels}, which also zeroes the gradients.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, NDArray> params;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final double[] decay;
    private final double beta1, beta2, eps;
    private final NDManager manager;
    private IValue paramList, avgList, sqList, decayList;

    /** {@code decays} says, per parameter name, whether weight decay applies (transformers skips biases and norms). */
    public AdamW(Map<String, NDArray> params, double weightDecay, java.util.function.Predicate<String> decays,
            double beta1, double beta2, double eps, NDManager parent) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.manager = parent.newSubManager();
        this.decay = new double[params.size()];
        int i = 0;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            expAvg.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
            expAvgSq.put(e.getKey(), manager.zeros(p.getShape(), DataType.FLOAT32));
            decay[i++] = decays.test(e.getKey()) ? weightDecay : 0.0;
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
        if (paramList == null) {
            paramList = IValue.listFrom(params.values().toArray(PtNDArray[]::new));
            avgList = IValue.listFrom(expAvg.values().toArray(PtNDArray[]::new));
            sqList = IValue.listFrom(expAvgSq.values().toArray(PtNDArray[]::new));
            decayList = IValue.listFrom(decay);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray norm = TorchKernels.adamwStep(scope, paramList, avgList, sqList, decayList, step, lr, beta1, beta2,
                    eps, maxNorm);
            return norm.toFloatArray()[0];
        }
    }

    public Map<String, NDArray> expAvg() {
        return expAvg;
    }

    public Map<String, NDArray> expAvgSq() {
        return expAvgSq;
    }

    /** Loads saved moments (same names and shapes) in place. */
    public void load(Map<String, float[]> avg, Map<String, float[]> sq) {
        for (String name : params.keySet()) {
            expAvg.get(name).set(avg.get(name));
            expAvgSq.get(name).set(sq.get(name));
        }
    }

    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }

    @Override
    public void close() {
        for (IValue v : new IValue[] {paramList, avgList, sqList, decayList}) if (v != null) v.close();
        manager.close();
    }
}
