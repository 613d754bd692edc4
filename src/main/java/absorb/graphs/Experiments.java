package absorb.graphs;

import absorb.AbsorbException;
import absorb.analysis.Fits;
import absorb.analysis.Spectral;
import absorb.model.LanguageModel;
import absorb.model.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/** The study's two composite experiments: the critical-context sweep over graph sizes, and the semantic conflict. */
public final class Experiments {
    private Experiments() {}

    /**
     * Runs of several graphs and the power law t* = a n^b fitted to their critical contexts; beside it, the same fit
     * to the second reading t_reach (see {@link GraphTrace.CriticalContext}), null unless at least three graphs
     * reach the level.
     */
    public record Sweep(List<GraphTrace.Result> runs, double[] sizes, double[] tStars, Fits.PowerLaw fit,
            double[] tReach, Fits.PowerLaw reachFit) {
        /** {sizes, t_reach} of the graphs whose accuracy reached the level. */
        public double[][] reached() {
            return reached(sizes, tReach);
        }

        private static double[][] reached(double[] sizes, double[] tReach) {
            int[] at = java.util.stream.IntStream.range(0, sizes.length).filter(i -> !Double.isNaN(tReach[i])).toArray();
            return new double[][] {java.util.Arrays.stream(at).mapToDouble(i -> sizes[i]).toArray(),
                java.util.Arrays.stream(at).mapToDouble(i -> tReach[i]).toArray()};
        }
    }

    /** Parses every graph specification, so that a bad one is refused before any run starts or writes. */
    public static void checkGraphs(List<String> graphs) {
        for (String g : graphs) Graph.parse(g);
    }

    public static Sweep sweep(TraceConfig base, List<String> graphs, LanguageModel lm, Consumer<String> progress) {
        if (graphs.size() < 3) throw new AbsorbException("--graphs needs at least three graphs for a power-law fit.");
        checkGraphs(graphs);
        List<GraphTrace.Result> runs = new ArrayList<>();
        double[] n = new double[graphs.size()], t = new double[graphs.size()], reach = new double[graphs.size()];
        for (int i = 0; i < graphs.size(); i++) {
            GraphTrace.Result r = GraphTrace.run(base.withGraph(graphs.get(i)), lm, progress);
            runs.add(r);
            n[i] = r.graph().size();
            t[i] = r.critical().tStar();
            reach[i] = r.critical().tReach();
        }
        double[][] reached = Sweep.reached(n, reach);
        Fits.PowerLaw reachFit = reached[0].length < 3 ? null : Fits.powerLaw(reached[0], reached[1]);
        return new Sweep(runs, n, t, Fits.powerLaw(n, t), reach, reachFit);
    }

    /**
     * The semantic-conflict run: the days of the week on a ring in the order of steps of three days (Monday,
     * Thursday, Sunday, ...). For each hook point, how well pairs of principal components of the day means map onto
     * the in-context ring and onto the natural weekly ring.
     *
     * @param r2 each hook point's alignments
     * @param hook the hook point that shows the conflict most plainly (null when none had four components)
     */
    public record Conflict(GraphTrace.Result run, List<String> order, Map<String, Alignment> r2, String hook) {}

    /**
     * R^2 of the least-squares affine map from a pair of principal components of the day means to the two leading
     * Laplacian eigenvectors of the in-context ring or of the natural weekly ring.
     */
    public record Alignment(double contextRingPc12, double naturalWeekPc12, double contextRingPc34,
            double naturalWeekPc34) {
        /** How much better PC1-2 draw the weekly circle than the in-context ring. */
        public double naturalOrderFirst() {
            return naturalWeekPc12 - contextRingPc12;
        }

        /** How much better PC3-4 draw the in-context ring than the weekly circle. */
        public double contextRingLater() {
            return contextRingPc34 - naturalWeekPc34;
        }

        public static final Alignment NOT_MEASURED = new Alignment(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    public static Conflict conflict(TraceConfig base, LanguageModel lm, Consumer<String> progress) {
        List<String> days = dayWords(lm.tokenizer());
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) order.add(days.get(3 * i % 7));
        GraphTrace.Result run = GraphTrace.run(base.withGraph("ring:7").withWords(order, false), lm, progress);
        // Node i carries day 3i mod 7; its natural neighbours are the days either side, nodes i +- 5 (mod 7).
        List<int[]> natural = new ArrayList<>();
        for (int i = 0; i < 7; i++) natural.add(new int[] {i, (i + 5) % 7});
        Graph week = Graph.of("week", 7, natural, null);
        double[][] contextEmbedding = Spectral.embedding(7, run.graph().edges(), 2);
        double[][] naturalEmbedding = Spectral.embedding(7, week.edges(), 2);
        Map<String, Alignment> r2 = new LinkedHashMap<>();
        for (GraphTrace.HookMeasures m : run.hooks().values()) {
            double[][] coords = m.snapshots().get(run.positions()[run.positions().length - 1]);
            if (coords == null) continue;
            double[][] pc12 = columns(coords, 0, 2), pc34 = columns(coords, 2, 4);
            r2.put(m.hook(), new Alignment(Spectral.alignmentR2(pc12, contextEmbedding),
                    Spectral.alignmentR2(pc12, naturalEmbedding), Spectral.alignmentR2(pc34, contextEmbedding),
                    Spectral.alignmentR2(pc34, naturalEmbedding)));
        }
        // The hook that shows the conflict most plainly: natural order leading PC1-2, the context ring leading PC3-4.
        String best = null;
        double score = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Alignment> e : r2.entrySet()) {
            double s = e.getValue().naturalOrderFirst() + e.getValue().contextRingLater();
            if (!Double.isNaN(s) && s > score) {
                score = s;
                best = e.getKey();
            }
        }
        return new Conflict(run, order, r2, best);
    }

    /** Capitalised day names where each is one token for the model, else lower case. */
    static List<String> dayWords(Tokenizer tok) {
        for (boolean capital : new boolean[] {true, false}) {
            List<String> days = new ArrayList<>();
            for (String d : Words.DAYS) days.add(capital ? Character.toUpperCase(d.charAt(0)) + d.substring(1) : d);
            try {
                Words.tokenIds(tok, days);
                return days;
            } catch (AbsorbException notSingleTokens) {
                // try the other spelling
            }
        }
        throw new AbsorbException("The days of the week are not single tokens for this model (neither capitalised nor"
                + " in lower case), so the conflict experiment cannot run.");
    }

    private static double[][] columns(double[][] rows, int from, int to) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null || rows[i].length < to) continue;
            out[i] = java.util.Arrays.copyOfRange(rows[i], from, to);
        }
        return out;
    }

    public static String describe(Conflict c) {
        if (c.hook() == null) return "No hook point had four principal components to compare.";
        Alignment v = c.r2().get(c.hook());
        return String.format(Locale.ROOT, "Days on a ring in the order %s. At %s, the first two principal components of the"
                        + " day means match the natural weekly circle with R^2 = %.2f and the in-context ring with %.2f;"
                        + " components 3-4 match the in-context ring with %.2f and the weekly circle with %.2f.",
                String.join(" -> ", c.order()), c.hook(), v.naturalWeekPc12(), v.contextRingPc12(), v.contextRingPc34(),
                v.naturalWeekPc34());
    }
}
