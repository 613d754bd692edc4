package absorb.graphs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphTest {
    @TempDir
    Path tmp;

    @Test
    void gridRingAndHexHaveTheExpectedShape() {
        Graph grid = Graph.parse("grid:4x4");
        assertEquals(16, grid.size());
        assertEquals(24, grid.edges().length);
        assertArrayEquals(new int[] {1, 4}, grid.neighbours()[0]);
        Graph ring = Graph.parse("ring:10");
        assertEquals(10, ring.edges().length);
        assertArrayEquals(new int[] {1, 9}, ring.neighbours()[0]);
        // networkx.hexagonal_lattice_graph(3, 3): 30 nodes, 38 edges; (1, 1) hexagon: 6 nodes, 6 edges.
        Graph hex = Graph.parse("hex:3x3");
        assertEquals(30, hex.size());
        assertEquals(38, hex.edges().length);
        Graph one = Graph.hex(1, 1);
        assertEquals(6, one.size());
        assertEquals(6, one.edges().length);
        for (int[] nb : one.neighbours()) assertEquals(2, nb.length);
        // Every node's neighbours as networkx.hexagonal_lattice_graph(3, 3) lists them (nodes numbered in its order).
        int[][] networkx = {{1, 7}, {0, 2}, {1, 3, 9}, {2, 4}, {3, 5, 11}, {4, 6}, {5, 13}, {0, 8}, {7, 9, 16},
            {2, 8, 10}, {9, 11, 18}, {4, 10, 12}, {11, 13, 20}, {6, 12, 14}, {13, 22}, {16, 23}, {8, 15, 17},
            {16, 18, 25}, {10, 17, 19}, {18, 20, 27}, {12, 19, 21}, {20, 22, 29}, {14, 21}, {15, 24}, {23, 25},
            {17, 24, 26}, {25, 27}, {19, 26, 28}, {27, 29}, {21, 28}};
        for (int i = 0; i < 30; i++) assertArrayEquals(networkx[i], hex.neighbours()[i], "node " + i);
    }

    @Test
    void edgeListFiles() throws IOException {
        Path f = tmp.resolve("g.txt");
        Files.writeString(f, "# a path and a triangle\na b\nb c\nc a\nc d\n");
        Graph g = Graph.parse(f.toString());
        assertEquals(4, g.size());
        assertEquals(4, g.edges().length);
        assertTrue(g.adjacent(0, 1) && g.adjacent(2, 3) && !g.adjacent(0, 3));
        Files.writeString(f, "a b c\n");
        assertThrows(AbsorbException.class, () -> Graph.parse(f.toString()));
    }

    @Test
    void badSpecificationsAreOneSentence() {
        for (String bad : new String[] {"grid:4", "ring:2", "hex:0x2", "torus:3", "grid:axb"}) {
            AbsorbException e = assertThrows(AbsorbException.class, () -> Graph.parse(bad), bad);
            assertTrue(e.getMessage().endsWith("."), e.getMessage());
        }
    }

    @Test
    void walksFollowEdgesAndPairsAreNeighbours() {
        Graph g = Graph.grid(3, 3);
        int[][] walks = Walks.randomWalks(g, 9, 50, 1);
        for (int k = 0; k < 9; k++) {
            assertEquals(k, walks[k][0], "walk k starts at node k");
            for (int t = 1; t < 50; t++) assertTrue(g.adjacent(walks[k][t - 1], walks[k][t]));
        }
        assertArrayEquals(walks[3], Walks.randomWalks(g, 9, 50, 1)[3], "seeded");
        int[][] pairs = Walks.neighbourPairs(Graph.ring(10), 4, 41, 2);
        assertEquals(40, pairs[0].length);
        for (int[] p : pairs) for (int t = 0; t < p.length; t += 2) assertTrue(Graph.ring(10).adjacent(p[t], p[t + 1]));
    }

    @Test
    void positionsAreLogSpacedAndEndAtTheLastToken() {
        int[] p = GraphTrace.grid(1, 1201, 40, 1);
        assertEquals(1, p[0]);
        assertEquals(1200, p[p.length - 1]);
        assertTrue(p.length >= 30 && p.length <= 41, "about the asked number of positions: " + p.length);
        // Log-spaced: past the integers that rounding merges, each position is a constant factor (1201/2)^(1/39)
        // = 1.178 times the one before it, up to rounding.
        for (int i = 1; i < p.length; i++) {
            if (p[i - 1] < 20) continue;
            double r = (p[i] + 1.0) / (p[i - 1] + 1.0);
            assertTrue(r > 1.13 && r < 1.23, "log-spaced: ratio " + r + " at " + p[i]);
        }
        for (int i = 1; i < p.length; i++) assertTrue(p[i] > p[i - 1]);
        int[] pairs = GraphTrace.grid(1, 41, 10, 2);
        for (int x : pairs) assertEquals(1, (x - 1) % 2 == 0 ? 1 : 0, "pair positions score the first word of a pair");
    }

    @Test
    void reachIsWhereAccuracyStaysAboveTheLevel() {
        int[] p = {1, 2, 4, 8, 16, 32};
        assertEquals(16.0, GraphTrace.reach(p, new double[] {0.1, 0.95, 0.5, 0.7, 0.91, 0.99}, 0.9));
        assertEquals(1.0, GraphTrace.reach(p, new double[] {0.9, 0.9, 0.95, 0.97, 0.91, 0.99}, 0.9));
        assertTrue(Double.isNaN(GraphTrace.reach(p, new double[] {0.1, 0.95, 0.96, 0.97, 0.98, 0.8}, 0.9)));
    }
}
