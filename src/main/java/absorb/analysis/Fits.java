package absorb.analysis;

import org.apache.commons.math3.distribution.TDistribution;

/** Curve fits used by the graph study: a sigmoid and a broken line (the shape of a rise) and a power law. */
public final class Fits {
    private Fits() {}

    /**
     * y = a + b x + c max(0, x - x0), least squares, with the break x0 searched over the interior data points.
     *
     * @param x0 where the slope changes
     * @param sse residual sum of squares of the best fit
     */
    public record BrokenLine(double x0, double a, double b, double c, double sse) {}

    public static BrokenLine brokenLine(double[] x, double[] y) {
        int n = x.length;
        if (n < 4) throw new IllegalArgumentException("need at least 4 points for a broken-line fit");
        BrokenLine best = null;
        for (int k = 1; k < n - 2; k++) {
            double x0 = x[k];
            double[][] design = new double[n][3];
            for (int i = 0; i < n; i++) {
                design[i][0] = 1;
                design[i][1] = x[i];
                design[i][2] = Math.max(0, x[i] - x0);
            }
            double[] coef = leastSquares(design, y);
            double sse = 0;
            for (int i = 0; i < n; i++) {
                double r = y[i] - (coef[0] + coef[1] * design[i][1] + coef[2] * design[i][2]);
                sse += r * r;
            }
            if (best == null || sse < best.sse()) best = new BrokenLine(x0, coef[0], coef[1], coef[2], sse);
        }
        return best;
    }

    /**
     * y = lo + (hi - lo) / (1 + exp(-(x - x0) / w)), least squares: x0 and w searched over a grid (x0 across the
     * data's range, w from a fortieth of it to all of it on a log scale), lo and hi solved exactly for each.
     *
     * @param x0 the midpoint of the rise
     */
    public record Sigmoid(double x0, double width, double lo, double hi, double sse) {}

    /** The sigmoid fit with unbounded asymptotes. */
    public static Sigmoid sigmoid(double[] x, double[] y) {
        return sigmoid(x, y, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    /**
     * The sigmoid fit with both asymptotes held in [min, max] (for a probability, [0, 1]): without the bounds, a
     * curve that rises in two stages can be fitted by a wide sigmoid whose asymptotes lie far outside the data's range,
     * which puts its midpoint anywhere.
     */
    public static Sigmoid sigmoid(double[] x, double[] y, double min, double max) {
        int n = x.length;
        if (n < 4) throw new IllegalArgumentException("need at least 4 points for a sigmoid fit");
        double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            xmin = Math.min(xmin, v);
            xmax = Math.max(xmax, v);
        }
        double span = Math.max(xmax - xmin, 1e-12);
        Sigmoid best = null;
        for (int i = 0; i <= 200; i++) {
            double x0 = xmin + span * i / 200;
            for (int j = 0; j <= 40; j++) {
                double w = span / 40 * Math.pow(40, j / 40.0);
                double[][] design = new double[n][2];
                for (int k = 0; k < n; k++) {
                    double s = 1 / (1 + Math.exp(-(x[k] - x0) / w));
                    design[k][0] = 1 - s;
                    design[k][1] = s;
                }
                double[] c = boxedLeastSquares2(design, y, min, max);
                if (c == null) continue;
                double sse = 0;
                for (int k = 0; k < n; k++) {
                    double r = y[k] - (c[0] * design[k][0] + c[1] * design[k][1]);
                    sse += r * r;
                }
                if (best == null || sse < best.sse()) best = new Sigmoid(x0, w, c[0], c[1], sse);
            }
        }
        return best;
    }

    /**
     * Least squares for two coefficients, each held in [min, max]. The objective is a convex quadratic, so when the
     * free solution lies outside the box the constrained one lies on an edge: one coefficient at a bound and the other
     * at its own clamped optimum. Null when the design is singular.
     */
    static double[] boxedLeastSquares2(double[][] design, double[] y, double min, double max) {
        double[] free;
        try {
            free = leastSquares(design, y);
        } catch (RuntimeException singular) {
            return null;
        }
        if (free[0] >= min && free[0] <= max && free[1] >= min && free[1] <= max) return free;
        double[] best = null;
        double bestSse = Double.POSITIVE_INFINITY;
        for (int fixed = 0; fixed < 2; fixed++) {
            for (double bound : new double[] {min, max}) {
                if (Double.isInfinite(bound)) continue;
                int other = 1 - fixed;
                double num = 0, den = 0;
                for (int k = 0; k < y.length; k++) {
                    num += design[k][other] * (y[k] - bound * design[k][fixed]);
                    den += design[k][other] * design[k][other];
                }
                double[] c = new double[2];
                c[fixed] = bound;
                c[other] = den > 0 ? Math.max(min, Math.min(max, num / den)) : Math.max(min, Math.min(max, 0));
                double sse = 0;
                for (int k = 0; k < y.length; k++) {
                    double r = y[k] - c[0] * design[k][0] - c[1] * design[k][1];
                    sse += r * r;
                }
                if (sse < bestSse) {
                    bestSse = sse;
                    best = c;
                }
            }
        }
        return best;
    }

    /**
     * log y = log a + b log x by ordinary least squares on the logs.
     *
     * @param ciLow lower end of the 95% confidence interval of b (t distribution, n - 2 degrees of freedom)
     * @param r2 coefficient of determination of the log-log fit
     */
    public record PowerLaw(double a, double b, double ciLow, double ciHigh, double r2, int points) {}

    public static PowerLaw powerLaw(double[] x, double[] y) {
        int n = x.length;
        if (n < 3) throw new IllegalArgumentException("need at least 3 points for a power-law fit");
        double[] lx = new double[n], ly = new double[n];
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            lx[i] = Math.log(x[i]);
            ly[i] = Math.log(y[i]);
            mx += lx[i] / n;
            my += ly[i] / n;
        }
        double sxx = 0, sxy = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (lx[i] - mx) * (lx[i] - mx);
            sxy += (lx[i] - mx) * (ly[i] - my);
            syy += (ly[i] - my) * (ly[i] - my);
        }
        double b = sxy / sxx, loga = my - b * mx;
        double sse = 0;
        for (int i = 0; i < n; i++) {
            double r = ly[i] - (loga + b * lx[i]);
            sse += r * r;
        }
        double r2 = syy == 0 ? 1 : 1 - sse / syy;
        double se = Math.sqrt(sse / (n - 2) / sxx);
        double t = new TDistribution(n - 2).inverseCumulativeProbability(0.975);
        return new PowerLaw(Math.exp(loga), b, b - t * se, b + t * se, r2, n);
    }

    /** Least-squares coefficients of y on the columns of the design matrix (normal equations, small systems). */
    static double[] leastSquares(double[][] design, double[] y) {
        org.apache.commons.math3.linear.RealMatrix x = org.apache.commons.math3.linear.MatrixUtils.createRealMatrix(design);
        return new org.apache.commons.math3.linear.QRDecomposition(x).getSolver()
                .solve(new org.apache.commons.math3.linear.ArrayRealVector(y)).toArray();
    }
}
