package absorb.analysis;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Principal component analysis of the rows of X (n points x d dims): centre the columns, X_c = U S V^T; the
 * coordinates on component k are U_k s_k, and component k explains s_k^2 / sum s^2 of the variance.
 *
 * @param coordinates n x k: each point's coordinates on the first k components
 * @param explained fraction of variance per component (all of them, largest first)
 * @param components k x d: the component directions
 */
public record Pca(double[][] coordinates, double[] explained, double[][] components) {

    /** The first {@code k} components of the rows of {@code x}. */
    public static Pca of(double[][] x, int k) {
        int n = x.length, d = x[0].length;
        DMatrixRMaj m = new DMatrixRMaj(center(x));
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, d, true, true, true);
        if (!svd.decompose(m)) throw new IllegalStateException("SVD did not converge");
        DMatrixRMaj u = svd.getU(null, false), w = svd.getW(null), vt = svd.getV(null, true);
        int r = Math.min(n, d);
        double[] s = new double[r];
        for (int i = 0; i < r; i++) s[i] = w.get(i, i);
        Integer[] order = new Integer[r];
        for (int i = 0; i < r; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
        double total = 0;
        for (double v : s) total += v * v;
        double[] explained = new double[r];
        for (int i = 0; i < r; i++) explained[i] = total == 0 ? 0 : s[order[i]] * s[order[i]] / total;
        int kk = Math.min(k, r);
        double[][] coords = new double[n][kk];
        double[][] comps = new double[kk][d];
        for (int c = 0; c < kk; c++) {
            int j = order[c];
            // Sign convention: the largest |loading| of each component is positive, so results are reproducible.
            int arg = 0;
            for (int t = 1; t < d; t++) if (Math.abs(vt.get(j, t)) > Math.abs(vt.get(j, arg))) arg = t;
            double sign = vt.get(j, arg) < 0 ? -1 : 1;
            for (int i = 0; i < n; i++) coords[i][c] = sign * u.get(i, j) * s[j];
            for (int t = 0; t < d; t++) comps[c][t] = sign * vt.get(j, t);
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
