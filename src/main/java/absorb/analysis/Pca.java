package absorb.analysis;

import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;

/**
 * Principal component analysis of the rows of X (n points x d dims): centre the columns, X_c = U S V^T; the
 * coordinates on component k are U_k s_k, and component k explains s_k^2 / sum s^2 of the variance. Computed from
 * the n x n Gram matrix X_c X_c^T = U S^2 U^T, which is small when there are few points in many dimensions (word
 * means in a residual stream).
 *
 * @param coordinates n x k: each point's coordinates on the first k components
 * @param explained fraction of variance per component (largest first)
 * @param components k x d: the component directions V_k = X_c^T U_k / s_k
 */
public record Pca(double[][] coordinates, double[] explained, double[][] components) {

    /** The first {@code k} components of the rows of {@code x}. */
    public static Pca of(double[][] x, int k) {
        int n = x.length, d = x[0].length;
        double[][] c = center(x);
        double[][] gram = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int t = 0; t < d; t++) s += c[i][t] * c[j][t];
                gram[i][j] = s;
                gram[j][i] = s;
            }
        }
        EigenDecomposition eig = new EigenDecomposition(MatrixUtils.createRealMatrix(gram));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        double total = 0;
        for (double v : values) total += Math.max(v, 0);
        int r = Math.min(n, d);
        double[] explained = new double[r];
        for (int i = 0; i < r; i++) explained[i] = total == 0 ? 0 : Math.max(values[order[i]], 0) / total;
        int kk = Math.min(k, r);
        double[][] coords = new double[n][kk];
        double[][] comps = new double[kk][d];
        for (int m = 0; m < kk; m++) {
            double[] u = eig.getEigenvector(order[m]).toArray();
            double s = Math.sqrt(Math.max(values[order[m]], 0));
            for (int t = 0; t < d; t++) {
                double v = 0;
                for (int i = 0; i < n; i++) v += c[i][t] * u[i];
                comps[m][t] = s == 0 ? 0 : v / s;
            }
            // Sign convention: the largest |loading| of each component is positive, so results are reproducible.
            int arg = 0;
            for (int t = 1; t < d; t++) if (Math.abs(comps[m][t]) > Math.abs(comps[m][arg])) arg = t;
            double sign = comps[m][arg] < 0 ? -1 : 1;
            for (int t = 0; t < d; t++) comps[m][t] *= sign;
            for (int i = 0; i < n; i++) coords[i][m] = sign * u[i] * s;
        }
        return new Pca(coords, explained, comps);
    }

    /** Column-centred copy of {@code x}. */
    public static double[][] center(double[][] x) {
        int n = x.length, d = x[0].length;
        double[] mean = new double[d];
        for (double[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / n;
        double[][] c = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) c[i][j] = x[i][j] - mean[j];
        return c;
    }
}
