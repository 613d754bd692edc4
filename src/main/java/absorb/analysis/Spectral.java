package absorb.analysis;

import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.MatrixUtils;

/**
 * Spectral embedding of a graph: the eigenvectors of its Laplacian L = D - A with the smallest non-zero
 * eigenvalues. They minimise the Dirichlet energy among unit, mutually orthogonal, mean-zero embeddings, and draw
 * grids and rings in their natural layout.
 */
public final class Spectral {
    private Spectral() {}

    /** The Laplacian D - A of an undirected graph on {@code n} nodes. */
    public static double[][] laplacian(int n, int[][] edges) {
        double[][] l = new double[n][n];
        for (int[] e : edges) {
            int i = e[0], j = e[1];
            if (i == j) continue;
            l[i][j] -= 1;
            l[j][i] -= 1;
            l[i][i] += 1;
            l[j][j] += 1;
        }
        return l;
    }

    /** Eigenvalues of the Laplacian, ascending. */
    public static double[] eigenvalues(int n, int[][] edges) {
        double[] v = new EigenDecomposition(MatrixUtils.createRealMatrix(laplacian(n, edges))).getRealEigenvalues();
        java.util.Arrays.sort(v);
        return v;
    }

    /**
     * n x k: the eigenvectors for the k smallest eigenvalues above zero (the constant vector, eigenvalue 0 of a
     * connected graph, is skipped), each of unit length.
     */
    public static double[][] embedding(int n, int[][] edges, int k) {
        EigenDecomposition eig = new EigenDecomposition(MatrixUtils.createRealMatrix(laplacian(n, edges)));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        double[][] out = new double[n][k];
        int c = 0;
        for (int idx = 0; idx < n && c < k; idx++) {
            if (values[order[idx]] < 1e-9) continue;
            RealMatrix v = MatrixUtils.createColumnRealMatrix(eig.getEigenvector(order[idx]).toArray());
            for (int i = 0; i < n; i++) out[i][c] = v.getEntry(i, 0);
            c++;
        }
        return out;
    }

    /**
     * How well the rows of {@code from} predict the rows of {@code to} by an affine map fitted by least squares:
     * R^2 = 1 - sum of squared residuals / sum of squared deviations of {@code to} from its column means. Rows that
     * are null in {@code from} are left out. Invariant to rotating either set of coordinates.
     */
    public static double alignmentR2(double[][] from, double[][] to) {
        int rows = 0;
        for (double[] r : from) if (r != null) rows++;
        int p = from[firstNonNull(from)].length + 1, q = to[0].length;
        if (rows <= p) return Double.NaN;
        double[][] x = new double[rows][p];
        double[][] y = new double[rows][q];
        int r = 0;
        for (int i = 0; i < from.length; i++) {
            if (from[i] == null) continue;
            x[r][0] = 1;
            System.arraycopy(from[i], 0, x[r], 1, p - 1);
            y[r] = to[i].clone();
            r++;
        }
        RealMatrix xm = MatrixUtils.createRealMatrix(x), ym = MatrixUtils.createRealMatrix(y);
        RealMatrix beta = new org.apache.commons.math3.linear.QRDecomposition(xm).getSolver().solve(ym);
        RealMatrix residual = ym.subtract(xm.multiply(beta));
        double ssRes = 0, ssTot = 0;
        for (int j = 0; j < q; j++) {
            double mean = 0;
            for (int i = 0; i < rows; i++) mean += y[i][j] / rows;
            for (int i = 0; i < rows; i++) {
                ssRes += residual.getEntry(i, j) * residual.getEntry(i, j);
                ssTot += (y[i][j] - mean) * (y[i][j] - mean);
            }
        }
        return ssTot == 0 ? Double.NaN : 1 - ssRes / ssTot;
    }

    private static int firstNonNull(double[][] rows) {
        for (int i = 0; i < rows.length; i++) if (rows[i] != null) return i;
        throw new IllegalArgumentException("no rows");
    }
}
