package absorb.graphs;

import absorb.AbsorbException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An undirected graph on nodes 0..n-1 with a name ({@code grid:4x4}, {@code ring:10}, {@code hex:3x3}, or a file)
 * and, for drawing, a layout position per node.
 */
public record Graph(String name, int size, int[][] edges, int[][] neighbours, double[][] layout) {

    /** Parses a graph specification: grid:RxC, ring:N, hex:RxC (networkx's hexagonal lattice) or a file path. */
    public static Graph parse(String spec) {
        String s = spec.strip();
        try {
            if (s.startsWith("grid:")) {
                int[] rc = dims(s.substring(5), spec);
                return grid(rc[0], rc[1]);
            }
            if (s.startsWith("ring:")) return ring(Integer.parseInt(s.substring(5)));
            if (s.startsWith("hex:")) {
                int[] rc = dims(s.substring(4), spec);
                return hex(rc[0], rc[1]);
            }
        } catch (NumberFormatException e) {
            throw new AbsorbException("Graph " + spec + " is not grid:RxC, ring:N, hex:RxC or an edge-list file.");
        }
        Path file = Path.of(s);
        if (Files.isRegularFile(file)) return fromEdgeList(file);
        throw new AbsorbException("Graph " + spec + " is not grid:RxC, ring:N, hex:RxC or an edge-list file that exists.");
    }

    private static int[] dims(String rc, String spec) {
        String[] p = rc.toLowerCase().split("x");
        if (p.length != 2) throw new AbsorbException("Graph " + spec + " needs ROWSxCOLUMNS, such as grid:4x4.");
        return new int[] {Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip())};
    }

    /** A rows x cols square grid; node r * cols + c sits at (c, -r). */
    public static Graph grid(int rows, int cols) {
        if (rows < 1 || cols < 1 || rows * cols < 2) throw new AbsorbException("grid:" + rows + "x" + cols + " is too small.");
        List<int[]> edges = new ArrayList<>();
        double[][] layout = new double[rows * cols][];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                layout[i] = new double[] {c, -r};
                if (c + 1 < cols) edges.add(new int[] {i, i + 1});
                if (r + 1 < rows) edges.add(new int[] {i, i + cols});
            }
        }
        return of("grid:" + rows + "x" + cols, rows * cols, edges, layout);
    }

    /** A cycle of n nodes, node i at angle 2 pi i / n. */
    public static Graph ring(int n) {
        if (n < 3) throw new AbsorbException("ring:" + n + " needs at least 3 nodes.");
        List<int[]> edges = new ArrayList<>();
        double[][] layout = new double[n][];
        for (int i = 0; i < n; i++) {
            edges.add(new int[] {i, (i + 1) % n});
            layout[i] = new double[] {Math.cos(2 * Math.PI * i / n), Math.sin(2 * Math.PI * i / n)};
        }
        return of("ring:" + n, n, edges, layout);
    }

    /**
     * networkx's hexagonal_lattice_graph(m, n): m rows and n columns of hexagons; nodes (i, j) for i in 0..n and
     * j in 0..2m+1 minus two corners, numbered in (i, j) order. hex:3x3 has 30 nodes.
     */
    public static Graph hex(int m, int n) {
        if (m < 1 || n < 1) throw new AbsorbException("hex:" + m + "x" + n + " needs at least one row and column.");
        int rowsM = 2 * m;
        Map<Long, Integer> index = new LinkedHashMap<>();
        TreeSet<Long> nodes = new TreeSet<>();
        List<long[]> pairs = new ArrayList<>();
        for (int i = 0; i <= n; i++) {
            for (int j = 0; j <= rowsM; j++) pairs.add(new long[] {key(i, j), key(i, j + 1)});
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= rowsM + 1; j++) if (i % 2 == j % 2) pairs.add(new long[] {key(i, j), key(i + 1, j)});
        }
        for (long[] p : pairs) {
            nodes.add(p[0]);
            nodes.add(p[1]);
        }
        long drop1 = key(0, rowsM + 1), drop2 = key(n, (rowsM + 1) * (n % 2));
        nodes.remove(drop1);
        nodes.remove(drop2);
        double[][] layout = new double[nodes.size()][];
        for (long k : nodes) {
            int i = (int) (k >> 32), j = (int) k;
            int id = index.size();
            index.put(k, id);
            layout[id] = new double[] {0.5 + i + i / 2 + (j % 2) * ((i % 2) - 0.5), Math.sqrt(3) / 2 * j};
        }
        List<int[]> edges = new ArrayList<>();
        for (long[] p : pairs) {
            Integer a = index.get(p[0]), b = index.get(p[1]);
            if (a != null && b != null) edges.add(new int[] {a, b});
        }
        return of("hex:" + m + "x" + n, nodes.size(), edges, layout);
    }

    private static long key(int i, int j) {
        return ((long) i << 32) | j;
    }

    /**
     * Lines "a b" of node labels (any tokens); nodes are numbered in order of first appearance. "a a" is a self-edge
     * (as in the study's self_edge option): a walk may stay at a, and a is one of its own valid next words.
     */
    public static Graph fromEdgeList(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read graph " + file + ": " + e.getMessage() + ".");
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        List<int[]> edges = new ArrayList<>();
        for (int k = 0; k < lines.size(); k++) {
            String line = lines.get(k).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] p = line.split("[\\s,]+");
            if (p.length != 2) {
                throw new AbsorbException("Graph " + file + " line " + (k + 1) + " is not an edge \"a b\".");
            }
            int a = ids.computeIfAbsent(p[0], x -> ids.size()), b = ids.computeIfAbsent(p[1], x -> ids.size());
            edges.add(new int[] {a, b});
        }
        if (ids.size() < 2) throw new AbsorbException("Graph " + file + " has fewer than two nodes.");
        int n = ids.size();
        Graph g = of(file.getFileName().toString(), n, edges, null);
        for (int i = 0; i < n; i++) {
            if (g.neighbours[i].length == 0) throw new AbsorbException("Graph " + file + " has an isolated node.");
        }
        return g;
    }

    /** A graph from an edge list (duplicates dropped); {@code layout} null puts the nodes on a circle. */
    public static Graph of(String name, int n, List<int[]> edgeList, double[][] layout) {
        if (layout == null) {
            layout = new double[n][];
            for (int i = 0; i < n; i++) layout[i] = new double[] {Math.cos(2 * Math.PI * i / n), Math.sin(2 * Math.PI * i / n)};
        }
        List<TreeSet<Integer>> adj = new ArrayList<>();
        for (int i = 0; i < n; i++) adj.add(new TreeSet<>());
        List<int[]> unique = new ArrayList<>();
        for (int[] e : edgeList) {
            if (adj.get(e[0]).add(e[1])) {
                adj.get(e[1]).add(e[0]);
                unique.add(new int[] {Math.min(e[0], e[1]), Math.max(e[0], e[1])});
            }
        }
        int[][] neighbours = new int[n][];
        for (int i = 0; i < n; i++) neighbours[i] = adj.get(i).stream().mapToInt(Integer::intValue).toArray();
        return new Graph(name, n, unique.toArray(int[][]::new), neighbours, layout);
    }

    public boolean adjacent(int a, int b) {
        return java.util.Arrays.binarySearch(neighbours[a], b) >= 0;
    }

    /** A copy whose node i is this graph's node {@code order[i]}, with the same edges. */
    public Graph relabel(int[] order, String newName) {
        int[] inverse = new int[size];
        for (int i = 0; i < size; i++) inverse[order[i]] = i;
        List<int[]> e = new ArrayList<>();
        for (int[] edge : edges) e.add(new int[] {inverse[edge[0]], inverse[edge[1]]});
        double[][] l = new double[size][];
        for (int i = 0; i < size; i++) l[i] = layout[order[i]];
        return of(newName, size, e, l);
    }
}
