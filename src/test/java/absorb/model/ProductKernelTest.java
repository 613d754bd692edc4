package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The product kernel splits a one-row product against a large float32 weight into two half products (one batched
 * call, two threads). It must give what the plain product gives, in both weight layouts, with and without a bias,
 * and leave several rows, small weights and odd widths to the plain product.
 */
class ProductKernelTest {
    @ParameterizedTest
    @CsvSource({
        "512, 1024, false, false", "512, 1024, true, false", "512, 1024, false, true", "512, 1024, true, true",
        "1024, 512, false, true", "1024, 512, true, false", // narrow: more inputs than outputs
        "515, 1023, true, true", // odd output count: not split
        "64, 128, false, true", // small: not split
    })
    void matchesThePlainProduct(int in, int out, boolean transposed, boolean withBias) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(11);
            NDArray w = m.randomNormal(new Shape(out, in)); // [out, in] as in a checkpoint
            NDArray bias = withBias ? m.randomNormal(new Shape(out)) : m.create(new float[0]);
            // row-major memory (as absorb stores weights), or a strided view of the other layout
            NDArray wt = w.transpose().flatten().reshape(in, out);
            NDArray[] layouts = transposed ? new NDArray[] {wt, w.transpose()} : new NDArray[] {w, wt.transpose()};
            for (NDArray stored : layouts) {
                for (Shape shape : new Shape[] {new Shape(1, 1, in), new Shape(1, 3, in), new Shape(1, in)}) {
                    NDArray x = m.randomNormal(shape);
                    NDArray expected = x.matMul(w.transpose());
                    if (withBias) expected = expected.add(bias);
                    NDArray got = DecoderKernels.product(x, stored, bias, transposed);
                    assertEquals(expected.getShape(), got.getShape());
                    float[] e = expected.toFloatArray(), g = got.toFloatArray();
                    for (int i = 0; i < e.length; i++) {
                        assertEquals(e[i], g[i], 1e-4f * (1 + Math.abs(e[i])), "output " + i + " for input " + shape);
                    }
                }
            }
        }
    }
}
