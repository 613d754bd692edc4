package absorb.graphs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Neighbour mixing: one round is x_i + the mean of the neighbours' x_j; on many dimensions it draws the grid. */
class NeighbourMixingTest {
    @Test
    void oneRoundAddsTheNeighboursMean() {
        Graph path = Graph.parse("grid:1x3"); // 0 - 1 - 2
        double[][] x = {{1, 0}, {0, 2}, {4, 4}};
        double[][] y = NeighbourMixing.mix(path, x);
        assertEquals(1 + 0, y[0][0], 1e-12);
        assertEquals(0 + 2, y[0][1], 1e-12);
        assertEquals(0 + (1 + 4) / 2.0, y[1][0], 1e-12);
        assertEquals(2 + (0 + 4) / 2.0, y[1][1], 1e-12);
        assertEquals(4 + 0, y[2][0], 1e-12);
    }

    @Test
    void oneRoundOnManyDimensionsDrawsTheGrid() {
        NeighbourMixing.Result r = NeighbourMixing.run(Graph.grid(4, 4), 4096, 1, 0);
        assertTrue(r.rounds().get(0).spectralR2() < 0.6, "random vectors draw no grid: " + r.rounds().get(0).spectralR2());
        assertTrue(r.rounds().get(1).spectralR2() > 0.9, "one round draws it: " + r.rounds().get(1).spectralR2());
    }
}
