package absorb.toy;

import absorb.graphs.Graph;
import absorb.graphs.Walks;
import absorb.graphs.Words;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The "graphs" world the embedded default model learns from (docs/toy-worlds.md). Every training sequence is
 * generated from a seed: most are walks on a freshly drawn random graph whose nodes carry freshly drawn words, so
 * the only way to predict the next word is to work out the graph from the context; a few are the days of the week
 * in their natural order, which gives the model a prior for them.
 */
public final class ToyWorld {
    /** Words in the world's vocabulary: the study's 30 and the days of the week. */
    public static List<String> vocabulary() {
        List<String> v = new ArrayList<>(Words.DEFAULT);
        v.addAll(Words.DAYS);
        return v;
    }

    /**
     * @param calendarShare fraction of sequences that are the days in weekly order
     * @param copyShare fraction of sequences that are a run of random words followed by the same run again (they
     *     reward looking up what followed the current word earlier, the skill the graph task needs)
     * @param backtrack whether walks may step straight back to the node they came from (training uses false: with
     *     it, "repeat the word before last" is an easy shortcut that stalls learning)
     * @param pairShare fraction of sequences that are independent neighbour pairs "u v" on a fresh random graph
     *     (the study's ring variant), rather than walks
     */
    public record Settings(int length, double calendarShare, double copyShare, boolean backtrack, double pairShare) {
        public static Settings defaults(int length) {
            return new Settings(length, 0.05, 0.0, false, 0.0);
        }

        public Settings withPairShare(double share) {
            return new Settings(length, calendarShare, copyShare, backtrack, share);
        }
    }

    private final List<String> vocabulary = vocabulary();
    private final Settings settings;

    public ToyWorld(Settings settings) {
        this.settings = settings;
    }

    public List<String> words() {
        return vocabulary;
    }

    /** What a sequence is. */
    enum Kind { CALENDAR, COPIES, PAIRS, WALK }

    /** The kind of the sequence of {@code seed}. */
    Kind kind(long seed) {
        return kind(new SplittableRandom(seed));
    }

    /** The kind drawn first from a sequence's generator {@code r}, against the shares. */
    private Kind kind(SplittableRandom r) {
        double u = r.nextDouble();
        double copiesEnd = settings.calendarShare() + settings.copyShare();
        return u < settings.calendarShare() ? Kind.CALENDAR : u < copiesEnd ? Kind.COPIES
                : u < copiesEnd + settings.pairShare() ? Kind.PAIRS : Kind.WALK;
    }

    /** One sequence of words (no BOS), determined by {@code seed}. */
    public List<String> sequence(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Kind kind = kind(r);
        if (kind == Kind.CALENDAR) return calendar(r);
        if (kind == Kind.COPIES) return copies(r);
        Graph g = randomGraph(r);
        List<String> pool = new ArrayList<>(vocabulary);
        Collections.shuffle(pool, new java.util.Random(r.nextLong()));
        int[] walk = kind == Kind.PAIRS ? Walks.neighbourPairs(g, settings.length(), r)
                : walk(g, settings.length(), r, settings.backtrack());
        List<String> out = new ArrayList<>(walk.length);
        for (int node : walk) out.add(pool.get(node));
        return out;
    }

    /** Random words (repeats allowed) in a run of 8 to 64, repeated until the sequence is full. */
    private List<String> copies(SplittableRandom r) {
        int run = 8 + r.nextInt(57);
        List<String> block = new ArrayList<>();
        for (int i = 0; i < run; i++) block.add(vocabulary.get(r.nextInt(vocabulary.size())));
        List<String> out = new ArrayList<>();
        for (int t = 0; t < settings.length(); t++) out.add(block.get(t % run));
        return out;
    }

    private List<String> calendar(SplittableRandom r) {
        List<String> out = new ArrayList<>();
        int day = r.nextInt(7);
        for (int t = 0; t < settings.length(); t++) out.add(Words.DAYS.get((day + t) % 7));
        return out;
    }

    /** A graph from one of five families, of a size the vocabulary can label. */
    Graph randomGraph(SplittableRandom r) {
        while (true) {
            Graph g = switch (r.nextInt(5)) {
                case 0 -> Graph.grid(2 + r.nextInt(5), 2 + r.nextInt(5));
                case 1 -> Graph.ring(4 + r.nextInt(21));
                case 2 -> Graph.hex(1 + r.nextInt(3), 1 + r.nextInt(3));
                case 3 -> triangular(2 + r.nextInt(4), 2 + r.nextInt(4));
                default -> randomRegular(6 + 2 * r.nextInt(13), 3 + r.nextInt(2), r);
            };
            if (g != null && g.size() <= vocabulary.size() && g.size() >= 4) return g;
        }
    }

    /** A square grid with one diagonal per cell: every inner node has six neighbours. */
    static Graph triangular(int rows, int cols) {
        List<int[]> edges = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                int v = i * cols + j;
                if (j + 1 < cols) edges.add(new int[] {v, v + 1});
                if (i + 1 < rows) edges.add(new int[] {v, v + cols});
                if (i + 1 < rows && j + 1 < cols) edges.add(new int[] {v, v + cols + 1});
            }
        }
        return Graph.of("triangular:" + rows + "x" + cols, rows * cols, edges, null);
    }

    /** A random d-regular simple connected graph on n nodes (pairing model; null if it fails to connect). */
    static Graph randomRegular(int n, int d, SplittableRandom r) {
        if (n * d % 2 != 0) return null;
        for (int attempt = 0; attempt < 50; attempt++) {
            List<Integer> stubs = new ArrayList<>();
            for (int v = 0; v < n; v++) for (int k = 0; k < d; k++) stubs.add(v);
            Collections.shuffle(stubs, new java.util.Random(r.nextLong()));
            List<int[]> edges = new ArrayList<>();
            java.util.Set<Long> seen = new java.util.HashSet<>();
            boolean ok = true;
            for (int k = 0; k < stubs.size(); k += 2) {
                int a = stubs.get(k), b = stubs.get(k + 1);
                long key = (long) Math.min(a, b) * n + Math.max(a, b);
                if (a == b || !seen.add(key)) {
                    ok = false;
                    break;
                }
                edges.add(new int[] {a, b});
            }
            if (!ok) continue;
            Graph g = Graph.of("regular:" + n + "," + d, n, edges, null);
            if (connected(g)) return g;
        }
        return null;
    }

    static boolean connected(Graph g) {
        boolean[] seen = new boolean[g.size()];
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>(List.of(0));
        seen[0] = true;
        int count = 1;
        while (!queue.isEmpty()) {
            for (int nb : g.neighbours()[queue.poll()]) {
                if (!seen[nb]) {
                    seen[nb] = true;
                    count++;
                    queue.add(nb);
                }
            }
        }
        return count == g.size();
    }

    /** A random walk of {@code length} nodes; without backtracking it never returns to the node just left. */
    static int[] walk(Graph g, int length, SplittableRandom r, boolean backtrack) {
        int[] out = new int[length];
        int node = r.nextInt(g.size()), previous = -1;
        for (int t = 0; t < length; t++) {
            out[t] = node;
            int[] nb = g.neighbours()[node];
            int next;
            if (backtrack || nb.length == 1 || previous < 0) {
                next = nb[r.nextInt(nb.length)];
            } else {
                do {
                    next = nb[r.nextInt(nb.length)];
                } while (next == previous);
            }
            previous = node;
            node = next;
        }
        return out;
    }
}
