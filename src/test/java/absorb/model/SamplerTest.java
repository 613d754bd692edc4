package absorb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Sampling filters against transformers' logits warpers on the same scores (values from transformers 5.18). */
class SamplerTest {
    private static final float NEG = Float.NEGATIVE_INFINITY;
    private static final float[] SCORES = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f};

    @Test
    void topKKeepsTheKLargest() {
        float[] s = SCORES.clone();
        Sampler.keepTopK(s, 3);
        assertArrayEquals(new float[] {NEG, 3, 2, 3, NEG, NEG}, s);
    }

    @Test
    void topPMatchesTransformers() {
        float[] a = SCORES.clone();
        Sampler.keepTopP(a, 0.5);
        assertArrayEquals(new float[] {NEG, 3, NEG, 3, NEG, NEG}, a);
        float[] b = SCORES.clone();
        Sampler.keepTopP(b, 0.8);
        assertArrayEquals(new float[] {NEG, 3, 2, 3, NEG, NEG}, b);
        float[] c = SCORES.clone();
        Sampler.keepTopP(c, 0.95);
        assertArrayEquals(new float[] {1, 3, 2, 3, NEG, NEG}, c);
    }

    @Test
    void repetitionPenaltyMatchesTransformers() {
        float[] s = SCORES.clone();
        new Sampler(0, 0, 1, 1.3, 0).next(s, new long[] {1, 4, 1}, 3);
        assertArrayEquals(new float[] {1.0f, 2.307692289352417f, 2.0f, 3.0f, -1.2999999523162842f, 0.5f}, s);
    }

    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(1, Sampler.greedy().next(SCORES.clone(), new long[0], 0));
    }

    @Test
    void seededSamplingIsReproducibleAndFollowsTheDistribution() {
        int[] counts = new int[6];
        Sampler a = new Sampler(1.0, 0, 1.0, 1.0, 42), b = new Sampler(1.0, 0, 1.0, 1.0, 42);
        for (int i = 0; i < 20000; i++) {
            int x = a.next(SCORES.clone(), new long[0], 0);
            assertEquals(x, b.next(SCORES.clone(), new long[0], 0));
            counts[x]++;
        }
        double[] p = Sampler.softmax(SCORES);
        for (int k = 0; k < 6; k++) assertEquals(p[k], counts[k] / 20000.0, 0.015, "token " + k);
    }

    @Test
    void stopStringsCutTheText() {
        assertEquals("Hello", Generator.cutAtStop("Hello. World", List.of(".", "World")));
        assertEquals(null, Generator.cutAtStop("Hello", List.of("###")));
        assertTrue(Generator.cutAtStop("a###b###", List.of("###")).equals("a"));
    }
}
