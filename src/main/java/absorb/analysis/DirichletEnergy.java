package absorb.analysis;

/**
 * Dirichlet energy of node vectors on a graph: E(X) = sum over edges (i, j) of ||x_i - x_j||^2. Small when
 * neighbours sit close together. Rows of X that are null (nodes with no data) and their edges are left out.
 */
public final class DirichletEnergy {
    private DirichletEnergy() {}

    /** E(X) on the vectors as they are. */
    public static double energy(double[][] x, int[][] edges) {
        double e = 0;
        for (int[] edge : edges) {
            double[] a = x[edge[0]], b = x[edge[1]];
            if (a == null || b == null) continue;
            for (int k = 0; k < a.length; k++) e += (a[k] - b[k]) * (a[k] - b[k]);
        }
        return e;
    }

    /**
     * E(X~) with X~ the rows centred and scaled to unit Frobenius norm, so that shrinking or shifting the
     * representation cannot lower the energy.
     */
    public static double normalized(double[][] x, int[][] edges) {
        int d = -1, n = 0;
        for (double[] row : x) if (row != null) {
            d = row.length;
            n++;
        }
        if (n < 2) return Double.NaN;
        double[] mean = new double[d];
        for (double[] row : x) if (row != null) for (int k = 0; k < d; k++) mean[k] += row[k] / n;
        double norm = 0;
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            if (x[i] == null) continue;
            c[i] = new double[d];
            for (int k = 0; k < d; k++) {
                c[i][k] = x[i][k] - mean[k];
                norm += c[i][k] * c[i][k];
            }
        }
        if (norm == 0) return Double.NaN;
        double scale = 1 / Math.sqrt(norm);
        for (double[] row : c) if (row != null) for (int k = 0; k < d; k++) row[k] *= scale;
        return energy(c, edges);
    }

    /**
     * The study's normalised energy (its notebooks): (1/d) sum over edges (i, j) of ||x_i / F - x_j / F||^2, with
     * F the Frobenius norm of X as it is (not centred) and d its dimension. A component shared by every row adds to F
     * and to nothing else, so it lowers this energy where the centred one ({@link #normalized}) ignores it.
     */
    public static double paperNormalized(double[][] x, int[][] edges) {
        int d = -1;
        double norm = 0;
        for (double[] row : x) {
            if (row == null) continue;
            d = row.length;
            for (double v : row) norm += v * v;
        }
        if (d < 0 || norm == 0) return Double.NaN;
        return energy(x, edges) / norm / d;
    }
}
