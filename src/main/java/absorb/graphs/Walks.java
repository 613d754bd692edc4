package absorb.graphs;

import java.util.SplittableRandom;

/**
 * The node sequences shown to the model: random walks (each step to a uniformly chosen neighbour) or, for the
 * ring variant, independent neighbour pairs "u v" (a random node, then a random neighbour).
 */
public final class Walks {
    private Walks() {}

    /** {@code count} walks of {@code length} nodes; walk k starts at node k mod n. */
    public static int[][] randomWalks(Graph g, int count, int length, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] walks = new int[count][length];
        for (int k = 0; k < count; k++) {
            int node = k % g.size();
            for (int t = 0; t < length; t++) {
                walks[k][t] = node;
                int[] nb = g.neighbours()[node];
                node = nb[random.nextInt(nb.length)];
            }
        }
        return walks;
    }

    /** {@code count} sequences of {@code length} nodes made of neighbour pairs (length rounded down to even). */
    public static int[][] neighbourPairs(Graph g, int count, int length, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] seqs = new int[count][];
        for (int k = 0; k < count; k++) seqs[k] = neighbourPairs(g, length, random);
        return seqs;
    }

    /** {@code length} nodes (rounded down to even) as independent pairs: a random node, then a random neighbour. */
    public static int[] neighbourPairs(Graph g, int length, SplittableRandom random) {
        int[] out = new int[length - length % 2];
        for (int t = 0; t < out.length; t += 2) {
            out[t] = random.nextInt(g.size());
            int[] nb = g.neighbours()[out[t]];
            out[t + 1] = nb[random.nextInt(nb.length)];
        }
        return out;
    }
}
