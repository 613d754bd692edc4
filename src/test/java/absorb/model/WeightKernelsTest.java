package absorb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * copyInto restores a checkpoint's values into a weight that autograd tracks (what --resume does): the weight holds
 * the values, keeps its own memory (the source may change or go away after), and still trains.
 */
class WeightKernelsTest {
    @Test
    void copyIntoATrainableWeight() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray w = m.zeros(new Shape(2, 3));
            w.setRequiresGradient(true);
            float[] saved = {1, 2, 3, 4, 5, 6};
            NDArray source = m.create(saved, new Shape(2, 3));
            WeightKernels.copyInto(w, source);
            source.muli(10); // the weight does not share the source's memory
            assertArrayEquals(saved, w.toFloatArray());
            assertTrue(w.hasGradient());
            try (GradientCollector g = m.getEngine().newGradientCollector()) {
                g.backward(w.mul(w).sum()); // d/dw sum(w^2) = 2w
            }
            assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, w.getGradient().toFloatArray());
        }
    }
}
