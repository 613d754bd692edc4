package absorb.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.graphs.Graph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The analysis maths on cases with known answers. */
class AnalysisTest {

    @Test
    void pcaOfPointsOnALineFindsOneComponent() {
        // x_i = c + s_i u with u a unit direction: all variance on one component, coordinates = centred s_i.
        double[] u = {2 / 3.0, -1 / 3.0, 2 / 3.0}, c = {1, 5, -2}, s = {-3, -1, 0, 2, 2};
        double[][] x = new double[s.length][3];
        for (int i = 0; i < s.length; i++) for (int j = 0; j < 3; j++) x[i][j] = c[j] + s[i] * u[j];
        Pca p = Pca.of(x, 2);
        assertEquals(1.0, p.explained()[0], 1e-12);
        assertEquals(0.0, p.explained()[1], 1e-12);
        double mean = 0;
        for (double v : s) mean += v / s.length;
        double sign = Math.signum(p.coordinates()[0][0] / (s[0] - mean));
        for (int i = 0; i < s.length; i++) assertEquals(sign * (s[i] - mean), p.coordinates()[i][0], 1e-10);
    }

    @Test
    void pcaExplainedVarianceOfAnAxisAlignedCloud() {
        // Centred points with variance 9 along x, 4 along y, 1 along z (uncorrelated by construction).
        double[][] x = {{3, 0, 0}, {-3, 0, 0}, {0, 2, 0}, {0, -2, 0}, {0, 0, 1}, {0, 0, -1}};
        Pca p = Pca.of(x, 3);
        assertEquals(9 / 14.0, p.explained()[0], 1e-12);
        assertEquals(4 / 14.0, p.explained()[1], 1e-12);
        assertEquals(1 / 14.0, p.explained()[2], 1e-12);
        assertEquals(1.0, Math.abs(p.components()[0][0]), 1e-12);
    }

    @Test
    void dirichletEnergyOfAPerfectGridEmbedding() {
        Graph g = Graph.grid(3, 3);
        double[][] x = new double[9][];
        for (int i = 0; i < 9; i++) x[i] = new double[] {i % 3, i / 3};
        // 12 edges of length 1; centred coordinates have squared norm 6 + 6, so the normalized energy is 12 / 12.
        assertEquals(12.0, DirichletEnergy.energy(x, g.edges()), 1e-12);
        assertEquals(1.0, DirichletEnergy.normalized(x, g.edges()), 1e-12);
        // Scaling and shifting leave the normalized energy unchanged.
        double[][] y = new double[9][];
        for (int i = 0; i < 9; i++) y[i] = new double[] {5 * x[i][0] + 7, 5 * x[i][1] - 1};
        assertEquals(1.0, DirichletEnergy.normalized(y, g.edges()), 1e-12);
        // Every shuffle of the same points onto the nodes has higher energy.
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8));
        Random r = new Random(1);
        for (int trial = 0; trial < 50; trial++) {
            Collections.shuffle(order, r);
            if (order.equals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8))) continue;
            double[][] z = new double[9][];
            for (int i = 0; i < 9; i++) z[i] = x[order.get(i)];
            assertTrue(DirichletEnergy.normalized(z, g.edges()) >= 1.0 - 1e-12);
        }
    }

    @Test
    void laplacianOfARingHasTheClosedFormSpectrum() {
        int n = 8;
        Graph g = Graph.ring(n);
        double[] eig = Spectral.eigenvalues(n, g.edges());
        List<Double> expected = new ArrayList<>();
        for (int k = 0; k < n; k++) expected.add(2 - 2 * Math.cos(2 * Math.PI * k / n));
        Collections.sort(expected);
        for (int k = 0; k < n; k++) assertEquals(expected.get(k), eig[k], 1e-10);
        // The two leading eigenvectors span {cos, sin}(2 pi i / n): an exact affine map between them.
        double[][] circle = new double[n][];
        for (int i = 0; i < n; i++) circle[i] = new double[] {Math.cos(2 * Math.PI * i / n), Math.sin(2 * Math.PI * i / n)};
        double[][] emb = Spectral.embedding(n, g.edges(), 2);
        assertEquals(1.0, Spectral.alignmentR2(emb, circle), 1e-10);
        assertEquals(1.0, Spectral.alignmentR2(circle, emb), 1e-10);
    }

    @Test
    void laplacianOfAGridIsTheSumOfPathSpectra() {
        Graph g = Graph.grid(3, 4);
        double[] eig = Spectral.eigenvalues(12, g.edges());
        List<Double> expected = new ArrayList<>();
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 4; b++) {
                expected.add(2 - 2 * Math.cos(Math.PI * a / 3) + 2 - 2 * Math.cos(Math.PI * b / 4));
            }
        }
        Collections.sort(expected);
        for (int k = 0; k < 12; k++) assertEquals(expected.get(k), eig[k], 1e-10);
        // The eigenvector of the smallest non-zero eigenvalue (along the 4-long side) is cos(pi (c + 1/2) / 4).
        double[][] emb = Spectral.embedding(12, g.edges(), 1);
        double[][] expectedVector = new double[12][];
        for (int i = 0; i < 12; i++) expectedVector[i] = new double[] {Math.cos(Math.PI * (i % 4 + 0.5) / 4)};
        assertEquals(1.0, Spectral.alignmentR2(emb, expectedVector), 1e-10);
    }

    @Test
    void powerLawOnExactData() {
        double[] n = {6, 8, 12, 16, 24, 30}, t = new double[n.length];
        for (int i = 0; i < n.length; i++) t[i] = 3.5 * Math.pow(n[i], 0.72);
        Fits.PowerLaw f = Fits.powerLaw(n, t);
        assertEquals(3.5, f.a(), 1e-9);
        assertEquals(0.72, f.b(), 1e-12);
        assertEquals(1.0, f.r2(), 1e-12);
        assertEquals(0.72, f.ciLow(), 1e-9);
        assertEquals(0.72, f.ciHigh(), 1e-9);
    }

    @Test
    void powerLawIntervalCoversTheTruthOnNoisyData() {
        Random r = new Random(4);
        double[] n = {5, 7, 10, 14, 20, 28, 40, 56}, t = new double[n.length];
        for (int i = 0; i < n.length; i++) t[i] = 2 * Math.pow(n[i], 1.1) * Math.exp(0.05 * r.nextGaussian());
        Fits.PowerLaw f = Fits.powerLaw(n, t);
        assertTrue(f.ciLow() < 1.1 && 1.1 < f.ciHigh(), f.toString());
        assertTrue(f.r2() > 0.95);
    }

    @Test
    void brokenLineFindsTheBreak() {
        double[] x = new double[12], y = new double[12];
        for (int i = 0; i < 12; i++) {
            x[i] = 0.5 * i;
            y[i] = 0.1 + 0.01 * x[i] + (x[i] > 2.5 ? 0.4 * (x[i] - 2.5) : 0);
        }
        Fits.BrokenLine b = Fits.brokenLine(x, y);
        assertEquals(2.5, b.x0(), 1e-12);
        assertEquals(0.01, b.b(), 1e-9);
        assertEquals(0.4, b.c(), 1e-9);
        assertEquals(0.0, b.sse(), 1e-18);
    }

    @Test
    void sigmoidRecoversAKnownRise() {
        // x spans [0, 4]; x0 = 1.6 and w = 0.1 * sqrt(40) lie on the search grid, so the fit is exact.
        int n = 30;
        double[] x = new double[n], y = new double[n];
        double w = 0.1 * Math.sqrt(40);
        for (int i = 0; i < n; i++) {
            x[i] = 4.0 * i / (n - 1);
            y[i] = 0.1 + 0.8 / (1 + Math.exp(-(x[i] - 1.6) / w));
        }
        Fits.Sigmoid s = Fits.sigmoid(x, y);
        assertEquals(1.6, s.x0(), 1e-9);
        assertEquals(w, s.width(), 1e-9);
        assertEquals(0.1, s.lo(), 1e-9);
        assertEquals(0.9, s.hi(), 1e-9);
        assertEquals(0.0, s.sse(), 1e-18);
        // Off the grid, the midpoint is still found to within the grid's step (span / 200).
        for (int i = 0; i < n; i++) y[i] = 0.2 + 0.7 / (1 + Math.exp(-(x[i] - 2.913) / 0.37));
        assertEquals(2.913, Fits.sigmoid(x, y).x0(), 0.03);
    }

    @Test
    void boundedSigmoidKeepsItsAsymptotesInRange() {
        // A two-stage rise: quickly from 0.05 to 0.5, then slowly to 1. Free asymptotes leave [0, 1].
        int n = 30;
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 5.5 * i / (n - 1);
            y[i] = 0.05 + 0.45 / (1 + Math.exp(-(x[i] - 1.8) / 0.25)) + 0.5 / (1 + Math.exp(-(x[i] - 4.2) / 0.5));
        }
        Fits.Sigmoid free = Fits.sigmoid(x, y), bounded = Fits.sigmoid(x, y, 0, 1);
        assertTrue(bounded.lo() >= 0 && bounded.hi() <= 1, bounded.toString());
        assertTrue(bounded.sse() >= free.sse() - 1e-12);

        // The box-constrained solve against a brute-force search over the box, for designs of both kinds.
        java.util.Random r = new java.util.Random(3);
        for (int trial = 0; trial < 20; trial++) {
            double[][] d = new double[12][2];
            double[] t = new double[12];
            for (int k = 0; k < 12; k++) {
                double sgm = 1 / (1 + Math.exp(-(k - 6 + r.nextGaussian()) / 2.0));
                d[k][0] = 1 - sgm;
                d[k][1] = sgm;
                t[k] = 1.5 * r.nextDouble() - 0.25;
            }
            double[] c = Fits.boxedLeastSquares2(d, t, 0, 1);
            double best = Double.POSITIVE_INFINITY;
            for (int a = 0; a <= 400; a++) {
                for (int b = 0; b <= 400; b++) best = Math.min(best, sse(d, t, a / 400.0, b / 400.0));
            }
            assertTrue(c[0] >= 0 && c[0] <= 1 && c[1] >= 0 && c[1] <= 1);
            assertTrue(sse(d, t, c[0], c[1]) <= best + 1e-9, "boxed solution no worse than the grid's best");
        }
    }

    private static double sse(double[][] d, double[] t, double a, double b) {
        double s = 0;
        for (int k = 0; k < t.length; k++) {
            double e = t[k] - a * d[k][0] - b * d[k][1];
            s += e * e;
        }
        return s;
    }

    /**
     * The study's normalised energy: (1/d) sum over edges of ||x_i / F - x_j / F||^2 with F the uncentred Frobenius
     * norm. Two points (0, 0) and (3, 4) on one edge: F^2 = 25, so E = 25 / 25 / 2 = 0.5; a shift by (10, 10) shared by
     * both leaves the centred energy as it is and lowers this one to 25 / 565 / 2 (F^2 = 10^2 + 10^2 + 13^2 + 14^2).
     */
    @Test
    void paperEnergyDividesByTheUncentredNorm() {
        int[][] edge = {{0, 1}};
        assertEquals(0.5, DirichletEnergy.paperNormalized(new double[][] {{0, 0}, {3, 4}}, edge), 1e-12);
        double[][] shifted = {{10, 10}, {13, 14}};
        assertEquals(25.0 / (200 + 169 + 196) / 2, DirichletEnergy.paperNormalized(shifted, edge), 1e-12);
        assertEquals(DirichletEnergy.normalized(new double[][] {{0, 0}, {3, 4}}, edge),
                DirichletEnergy.normalized(shifted, edge), 1e-12);
    }
}
