package absorb.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The output layer's loss and gradients, written out by hand in the head_gradients kernel, against the closed form
 * computed here in double precision: loss = sum over rows of logsumexp(z) - z[label], dL/dz = softmax(z) - onehot.
 */
class HeadGradientsTest {
    private static final int ROWS = 6, HIDDEN = 8, VOCAB = 13;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void lossAndGradientsMatchTheClosedForm(boolean transposed) {
        check(transposed, 1.0);
    }

    /** A label whose probability underflows float32 still gets the finite loss of the log-sum-exp form. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void underflowingLabelKeepsAFiniteLoss(boolean transposed) {
        check(transposed, 200.0);
    }

    private static void check(boolean transposed, double spread) {
        SplittableRandom r = new SplittableRandom(transposed ? 3 : 4);
        double[][] h = new double[ROWS][HIDDEN], w = new double[VOCAB][HIDDEN];
        for (double[] row : h) for (int k = 0; k < HIDDEN; k++) row[k] = spread * (r.nextDouble() - 0.5);
        for (double[] row : w) for (int k = 0; k < HIDDEN; k++) row[k] = r.nextDouble() - 0.5;
        long[] labels = new long[ROWS];
        for (int i = 0; i < ROWS; i++) labels[i] = r.nextInt(VOCAB);
        double scale = 0.25;

        // the closed form
        double loss = 0, worst = 0;
        double[][] gh = new double[ROWS][HIDDEN], gw = new double[VOCAB][HIDDEN];
        for (int i = 0; i < ROWS; i++) {
            double[] z = new double[VOCAB];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < VOCAB; v++) {
                for (int k = 0; k < HIDDEN; k++) z[v] += h[i][k] * w[v][k];
                max = Math.max(max, z[v]);
            }
            double sum = 0;
            for (int v = 0; v < VOCAB; v++) sum += Math.exp(z[v] - max);
            double lse = max + Math.log(sum);
            loss += lse - z[(int) labels[i]];
            worst = Math.max(worst, lse - z[(int) labels[i]]);
            for (int v = 0; v < VOCAB; v++) {
                double d = scale * (Math.exp(z[v] - lse) - (v == labels[i] ? 1 : 0));
                for (int k = 0; k < HIDDEN; k++) {
                    gh[i][k] += d * w[v][k];
                    gw[v][k] += d * h[i][k];
                }
            }
        }

        // float32 probabilities underflow below about exp(-104)
        assertEquals(spread > 1, worst > 110, "a label's probability underflows: " + worst);
        // three ways in: logits in memory of their own; in a reused buffer; and with the head already holding a
        // gradient, which dL/dW is then added to (the kernel's product into it)
        for (String way : new String[] {"own", "buffer", "accumulate"}) {
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                // hidden as [1, ROWS + 1, HIDDEN] with rows 0..ROWS-1 selected, so that the row selection is exercised
                float[] hf = new float[(ROWS + 1) * HIDDEN];
                for (int i = 0; i < ROWS; i++) for (int k = 0; k < HIDDEN; k++) hf[i * HIDDEN + k] = (float) h[i][k];
                NDArray hidden = m.create(hf, new Shape(1, ROWS + 1, HIDDEN));
                float[] wf = new float[VOCAB * HIDDEN];
                for (int v = 0; v < VOCAB; v++) {
                    for (int k = 0; k < HIDDEN; k++) {
                        wf[transposed ? k * VOCAB + v : v * HIDDEN + k] = (float) w[v][k];
                    }
                }
                NDArray head = m.create(wf, transposed ? new Shape(HIDDEN, VOCAB) : new Shape(VOCAB, HIDDEN));
                float[] before = new float[wf.length];
                if (way.equals("accumulate")) {
                    // a gradient to add to: d/dW sum(W * c) = c
                    for (int i = 0; i < before.length; i++) before[i] = (float) r.nextDouble();
                    head.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        collector.backward(head.mul(m.create(before, head.getShape())).sum());
                    }
                }
                long[] rows = new long[ROWS];
                for (int i = 0; i < ROWS; i++) rows[i] = i;
                NDArray work = way.equals("own") ? m.create(new Shape(0))
                        : m.create(new Shape((ROWS + 2) * VOCAB), DataType.FLOAT32);
                NDArray[] out = LossKernels.headGradients(LossKernels.selectRows(hidden, m.create(rows)),
                        m.create(labels), head, transposed, scale, true, work);
                double got = out[0].getFloat();
                assertTrue(Double.isFinite(got), way + ": loss " + got);
                assertEquals(loss, got, 1e-5 * Math.abs(loss), way + ": loss");
                float[] ghGot = out[1].toFloatArray();
                for (int i = 0; i < ROWS; i++) {
                    for (int k = 0; k < HIDDEN; k++) {
                        assertEquals(gh[i][k], ghGot[i * HIDDEN + k], 1e-5 + 1e-4 * Math.abs(gh[i][k]), way + ": dL/dh");
                    }
                }
                float[] gwGot;
                if (way.equals("accumulate")) {
                    assertEquals(0, out[2].size(), "added to the existing gradient, not returned");
                    gwGot = head.getGradient().toFloatArray();
                } else {
                    gwGot = out[2].toFloatArray();
                }
                for (int v = 0; v < VOCAB; v++) {
                    for (int k = 0; k < HIDDEN; k++) {
                        int at = transposed ? k * VOCAB + v : v * HIDDEN + k;
                        assertEquals(gw[v][k] + before[at], gwGot[at], 1e-5 + 1e-4 * Math.abs(gw[v][k]), way + ": dL/dW");
                    }
                }
            }
        }
    }
}
