package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The libtorch sampling kernel (used while decoding without a repetition penalty) against the Java sampler, which
 * follows transformers' processors: greedy and plain or top-k sampling pick the same token for the same uniform
 * number; with top-p the kernel draws in sorted order, so it is checked to keep exactly the tokens the Java sampler
 * keeps and to draw them with their probabilities.
 */
class SamplingKernelTest {
    @Test
    void withoutTopPTheKernelPicksTheJavaSamplersToken() {
        Random r = new Random(3);
        double[][] settings = {{0, 0}, {1.0, 0}, {0.7, 0}, {1.3, 5}, {0.5, 40}};
        int rows = 64, vocab = 200;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (double[] s : settings) {
                float[] logits = new float[rows * vocab];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 2);
                for (int b = 0; b < rows; b += 7) logits[b * vocab + 3] = logits[b * vocab + 9]; // ties, as real logits have
                double[] u = new double[rows];
                int[] expected = new int[rows];
                for (int b = 0; b < rows; b++) {
                    long seed = 1000 + b;
                    Sampler javaSampler = new Sampler(s[0], (int) s[1], 1.0, 1.0, seed);
                    u[b] = javaSampler.isGreedy() ? 0 : new SplittableRandom(seed).nextDouble();
                    expected[b] = javaSampler.next(java.util.Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab),
                            new long[0], 0);
                }
                long[] got = DecoderKernels.SAMPLE_NEXT.tensor(m, m.create(logits, new Shape(rows, 1, vocab)), s[0],
                        (int) s[1], 1.0, m.create(u)).toLongArray();
                for (int b = 0; b < rows; b++) assertEquals(expected[b], got[b], "row " + b + " " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void withTopPTheKernelDrawsTheJavaSamplersDistribution() {
        // vocab 60: the kernel sorts the whole vocabulary
        topPDraws(60, 40_000, 1.5, new double[][] {{1.0, 0, 0.9}, {0.8, 20, 0.7}, {1.0, 0, 0.3}});
    }

    @Test
    void withTopPOverALargeVocabularyTheKernelDrawsTheJavaSamplersDistribution() {
        // vocab 600: peaked rows, whose nucleus lies inside the kernel's 256 most likely tokens (its first shortcut),
        // with top-k before top-p both under and over 256; flat rows at top-p 0.99, whose dropped tokens lie among the
        // 270 least likely (its second), with top-k leaving fewer than those; and flat rows at top-p 0.5, where
        // neither end holds the boundary (the kernel sorts the whole vocabulary)
        topPDraws(600, 40_000, 4.0, new double[][] {{1.0, 0, 0.9}, {0.8, 20, 0.7}, {1.0, 0, 0.3}, {1.0, 300, 0.95}});
        topPDraws(600, 40_000, 0.3, new double[][] {{1.0, 0, 0.99}, {1.0, 400, 0.99}, {1.0, 0, 0.5}, {0.7, 500, 0.6}});
    }

    private static void topPDraws(int vocab, int draws, double spread, double[][] settings) {
        Random r = new Random(5);
        for (double[] s : settings) {
            float[] row = new float[vocab];
            for (int i = 0; i < vocab; i++) row[i] = (float) (r.nextGaussian() * spread);
            // what the Java sampler keeps, and with which probabilities
            float[] filtered = row.clone();
            for (int i = 0; i < vocab; i++) filtered[i] = (float) (filtered[i] / s[0]);
            if (s[1] > 0) Sampler.keepTopK(filtered, (int) s[1]);
            Sampler.keepTopP(filtered, s[2]);
            double[] expected = Sampler.softmax(filtered);
            float[] logits = new float[draws * vocab];
            double[] u = new double[draws];
            SplittableRandom g = new SplittableRandom(7);
            for (int d = 0; d < draws; d++) {
                System.arraycopy(row, 0, logits, d * vocab, vocab);
                u[d] = g.nextDouble();
            }
            long[] got;
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                got = DecoderKernels.SAMPLE_NEXT.tensor(m, m.create(logits, new Shape(draws, vocab)), s[0], (int) s[1],
                        s[2], m.create(u)).toLongArray();
            }
            double[] freq = new double[vocab];
            for (long t : got) freq[(int) t] += 1.0 / draws;
            for (int i = 0; i < vocab; i++) {
                if (expected[i] == 0) assertEquals(0, freq[i], 0, "token " + i + " is filtered out");
                else assertEquals(expected[i], freq[i], 4 * Math.sqrt(expected[i] / draws) + 1e-9, "token " + i);
            }
            assertTrue(java.util.Arrays.stream(freq).sum() > 0.999);
        }
    }
}
