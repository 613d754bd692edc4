package absorb.graphs;

import absorb.AbsorbException;
import absorb.analysis.DirichletEnergy;
import absorb.analysis.Pca;
import absorb.analysis.Spectral;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A baseline that needs no model: random vectors on the graph's nodes, mixed with their neighbours round after round,
 * X_0 ~ N(0, 1)^{n x d} and X_{r+1} = X_r + D^{-1} A X_r (each node's vector plus the mean of its neighbours', the
 * replication's round), measured as a model's word means are (PCA, alignment of PC1-2 with the spectral embedding,
 * Dirichlet energy). A report can say how much of a model's picture such mixing alone draws.
 */
public final class NeighbourMixing {
    /** The measures after {@code round} rounds; {@code coords} the first four principal coordinates per node. */
    public record Round(int round, double[][] coords, double[] explained, double spectralR2, double energyNormalized,
            double energyPaper) {}

    public record Result(Graph graph, int dim, long seed, List<Round> rounds) {}

    private NeighbourMixing() {}

    public static Result run(Graph g, int dim, int rounds, long seed) {
        if (dim < 2) throw new AbsorbException("--dim must be at least 2, not " + dim + ".");
        if (rounds < 0) throw new AbsorbException("--rounds must be 0 or more, not " + rounds + ".");
        java.util.Random random = new java.util.Random(seed);
        int n = g.size();
        double[][] x = new double[n][dim];
        for (double[] row : x) for (int k = 0; k < dim; k++) row[k] = random.nextGaussian();
        double[][] spectral = Spectral.embedding(n, g.edges(), 2);
        List<Round> out = new ArrayList<>();
        for (int r = 0; r <= rounds; r++) {
            if (r > 0) x = mix(g, x);
            Pca pca = Pca.of(x, 4);
            double[][] top = new double[n][];
            for (int i = 0; i < n; i++) top[i] = java.util.Arrays.copyOf(pca.coordinates()[i], 2);
            out.add(new Round(r, pca.coordinates(), java.util.Arrays.copyOf(pca.explained(), Math.min(5,
                    pca.explained().length)), Spectral.alignmentR2(top, spectral), DirichletEnergy.normalized(x, g.edges()),
                    DirichletEnergy.paperNormalized(x, g.edges())));
        }
        return new Result(g, dim, seed, out);
    }

    /** One round: x_i + the mean of x_j over i's neighbours j. */
    static double[][] mix(Graph g, double[][] x) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
            int[] nb = g.neighbours()[i];
            for (int j : nb) for (int k = 0; k < y[i].length; k++) y[i][k] += x[j][k] / nb.length;
        }
        return y;
    }

    /** The rounds in a sentence each. */
    public static String reading(Result r) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "Random %d-dimensional vectors on %s, mixed with"
                + " their neighbours' mean:", r.dim(), r.graph().name()));
        for (Round round : r.rounds()) {
            s.append(String.format(Locale.ROOT, " after %d round%s PC1-2 explain %.0f%% of the variance and align with"
                            + " the spectral embedding at R^2 = %.2f (normalised energy %.3f);", round.round(),
                    round.round() == 1 ? "" : "s", 100 * (round.explained()[0] + round.explained()[1]), round.spectralR2(),
                    round.energyNormalized()));
        }
        s.setLength(s.length() - 1);
        return s.append('.').toString();
    }
}
