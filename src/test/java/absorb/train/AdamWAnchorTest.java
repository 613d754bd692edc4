package absorb.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The decay toward the starting weights against its closed form. Under a constant gradient g, Adam's bias-corrected
 * moments are g and g^2 at every step, so each update is lr * g / (|g| + eps); the anchor then adds
 * lr * rate * (start - p).
 */
class AdamWAnchorTest {
    @Test
    void anchoredStepsFollowTheClosedForm() {
        float[] start = {0.5f, -1.25f, 2f, 0f}, g = {0.3f, -2f, 1e-3f, 0.7f};
        double rate = 12, eps = 1e-8;
        double[] lrs = {1e-2, 8e-3, 5e-3, 2e-3, 1e-3};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray w = m.create(start);
            w.setRequiresGradient(true);
            NDArray c = m.create(g);
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w", w);
            double[] want = new double[start.length];
            for (int i = 0; i < start.length; i++) want[i] = start[i];
            try (AdamW opt = new AdamW(params, 0.0, AdamW::decaysByDefault, 0.9, 0.999, eps, m)) {
                opt.anchor(rate);
                for (int step = 0; step < lrs.length; step++) {
                    try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                        gc.backward(w.mul(c).sum());
                    }
                    opt.step(step + 1, lrs[step], 0);
                    for (int i = 0; i < start.length; i++) {
                        double q = want[i] - lrs[step] * g[i] / (Math.abs(g[i]) + eps);
                        want[i] = q + lrs[step] * rate * (start[i] - q);
                    }
                    float[] got = w.toFloatArray();
                    for (int i = 0; i < start.length; i++) {
                        assertEquals(want[i], got[i], 1e-6, "step " + (step + 1) + ", entry " + i);
                    }
                }
            }
        }
    }

    @Test
    void aNegativeRateIsRefused() {
        assertThrows(absorb.AbsorbException.class, () -> new TrainConfig.Optimizer(1e-3, TrainConfig.Schedule.COSINE, 0,
                0, 0.9, 0.999, 1e-8, 1, -1, false));
    }
}
