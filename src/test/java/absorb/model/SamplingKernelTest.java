package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The libtorch sampling kernel (used while decoding without a repetition penalty) picks the tokens the Java sampler
 * picks, which follows transformers' processors: same logits, same uniform number, same token.
 */
class SamplingKernelTest {
    @Test
    void kernelAndJavaSamplerAgree() {
        Random r = new Random(3);
        double[][] settings = {{0, 0, 1}, {1.0, 0, 1}, {0.7, 0, 0.9}, {1.3, 5, 1}, {1.0, 40, 0.8}, {0.5, 3, 0.5}};
        int rows = 64, vocab = 200, agree = 0, total = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (double[] s : settings) {
                float[] logits = new float[rows * vocab];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 2);
                // a few exact ties, as real logits have
                for (int b = 0; b < rows; b += 7) logits[b * vocab + 3] = logits[b * vocab + 9];
                double[] u = new double[rows];
                int[] expected = new int[rows];
                for (int b = 0; b < rows; b++) {
                    long seed = 1000 + b;
                    Sampler javaSampler = new Sampler(s[0], (int) s[1], s[2], 1.0, seed);
                    u[b] = javaSampler.isGreedy() ? 0 : new SplittableRandom(seed).nextDouble();
                    float[] row = java.util.Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab);
                    expected[b] = javaSampler.next(row, new long[0], 0);
                }
                long[] got = DecoderKernels.SAMPLE_NEXT.tensor(m, m.create(logits, new Shape(rows, 1, vocab)), s[0],
                        (int) s[1], s[2], m.create(u)).toLongArray();
                for (int b = 0; b < rows; b++) {
                    total++;
                    if (got[b] == expected[b]) agree++;
                }
            }
        }
        assertEquals(total, agree, "tokens chosen alike");
    }
}
