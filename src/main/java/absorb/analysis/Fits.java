package absorb.analysis;

import org.apache.commons.math3.distribution.TDistribution;

/** Curve fits used by the graph study: a broken line (the onset of a rise) and a power law. */
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
