package absorb.cli;

import absorb.AbsorbException;
import absorb.analysis.Fits;
import absorb.graphs.Experiments;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.graphs.TraceFigures;
import absorb.graphs.TraceOutput;
import absorb.graphs.Words;
import absorb.model.AtomicFile;
import absorb.model.LanguageModel;
import absorb.report.Charts;
import absorb.report.HtmlReport;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "graph-trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = "In-context representations: put words on a graph, feed random walks, and measure how the residual"
                + " stream re-organises (accuracy, PCA, Dirichlet energy, spectral alignment, critical context).",
        subcommands = {GraphTraceCommand.Sweep.class, GraphTraceCommand.Conflict.class})
final class GraphTraceCommand implements Callable<Integer> {

    /** Options every graph-tracing run takes. */
    static final class RunOptions {
        // --model and --out are checked in load(), not by the parser: the parser would ask the parent command for them
        // when a subcommand (sweep, conflict) is run.
        @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (required).")
        Path model;

        @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply.")
        Path adapter;

        @Option(names = "--context", defaultValue = "1200", paramLabel = "N", description = "Word tokens per sequence (1200).")
        int context;

        @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Sequences; k starts at node k mod n (16).")
        int batch;

        @Option(names = "--layers", defaultValue = "all", paramLabel = "LIST",
                description = "all, or block indices / hook points (e.g. 20,24 or blocks.3.resid_post).")
        String layers;

        @Option(names = "--window", defaultValue = "200", paramLabel = "N", description = "Positions per word mean, N_w (200).")
        int window;

        @Option(names = "--positions", defaultValue = "40", paramLabel = "N", description = "Measured positions, log-spaced (40).")
        int positions;

        @Option(names = "--words", paramLabel = "FILE", description = "Word list, one per line (default: the 30 study words).")
        Path words;

        @Option(names = "--shuffle-words", description = "Assign words to nodes shuffled with --seed (default: in order).")
        boolean shuffle;

        @Option(names = "--sampling", defaultValue = "walk", paramLabel = "S", description = "walk (default) or pairs (ring variant).")
        String sampling;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed for walks and shuffling (0).")
        long seed;

        @Option(names = "--out", paramLabel = "DIR", description = "Run folder (required).")
        Path out;

        @Mixin
        Options compute;

        TraceConfig config(String graph, Path sequences) {
            List<String> list = words != null ? Words.fromFile(words) : null;
            return new TraceConfig(model, adapter, graph, list, shuffle, sampling, context, batch, layers, window, positions,
                    seed, sequences, compute.dtype);
        }

        LanguageModel load() {
            if (model == null || out == null) {
                throw new AbsorbException("graph-trace needs --model DIR and --out DIR (also after sweep or conflict).");
            }
            return LanguageModel.load(model, adapter, compute.compute());
        }
    }

    @Mixin
    RunOptions run;

    @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G",
            description = "grid:RxC, ring:N, hex:RxC (hex:3x3 has 30 nodes) or an edge-list file (default grid:4x4).")
    String graph;

    @Option(names = "--sequences", paramLabel = "FILE", description = "Evaluate the sequences of a sequences.json instead of sampling.")
    Path sequences;

    static void log(String line) {
        System.err.println(line);
    }

    @Override
    public Integer call() {
        try (LanguageModel lm = run.load()) {
            GraphTrace.Result r = GraphTrace.run(run.config(graph, sequences), lm, GraphTraceCommand::log);
            writeRun(r, run.out, "Graph tracing: " + r.graph().name());
            log("wrote " + run.out.resolve("report.html"));
        }
        return 0;
    }

    /** The run folder: config, sequences, metrics, figures and its report. */
    static Map<String, byte[]> writeRun(GraphTrace.Result r, Path dir, String title) {
        TraceOutput.write(r, dir);
        Map<String, byte[]> figures = TraceFigures.write(r, dir);
        HtmlReport report = new HtmlReport(title);
        TraceFigures.section(report, r.graph().name(), r, figures);
        report.write(dir.resolve("report.html"));
        return figures;
    }

    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Critical context across graph sizes and the power-law fit t* = a n^b.")
    static final class Sweep implements Callable<Integer> {
        @Mixin
        RunOptions run;

        @Option(names = "--graphs", required = true, split = ",", paramLabel = "LIST",
                description = "Graphs to compare, e.g. ring:8,ring:12,ring:16,ring:24.")
        List<String> graphs;

        @Override
        public Integer call() {
            try (LanguageModel lm = run.load()) {
                Experiments.Sweep s = Experiments.sweep(run.config(graphs.get(0), null), graphs, lm, GraphTraceCommand::log);
                HtmlReport report = new HtmlReport("Critical context across graph sizes");
                writeSweep(s, run.out, report);
                report.write(run.out.resolve("report.html"));
                log(describe(s));
                log("wrote " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

    static String describe(Experiments.Sweep s) {
        return describe("t*", s.fit());
    }

    static String describe(String what, Fits.PowerLaw f) {
        return String.format(Locale.ROOT, "power law %s = %.3g n^%.2f over %d sizes (95%% CI of the exponent %.2f to %.2f),"
                + " R^2 = %.3f", what, f.a(), f.b(), f.points(), f.ciLow(), f.ciHigh(), f.r2());
    }

    /** The second reading of the sweep, in words. */
    static String describeReach(Experiments.Sweep s) {
        String level = String.valueOf(GraphTrace.CriticalContext.REACH);
        String head = "A second reading, for accuracy that rises in two stages (a quick rise that predicting words already"
                + " seen in the context explains, then the rise to following the graph's rule): t_reach, the first"
                + " measured position from which accuracy stays at or above " + level + ". ";
        if (s.reachFit() == null) return head + "Fewer than three graphs reach " + level + ", so no power law is fitted.";
        return head + "Its " + describe("t_reach", s.reachFit()) + ". This reading is reported beside t*; the claims use t*.";
    }

    /** The fitted power law a n^b drawn at {@code fx}. */
    private static Charts.Series fitLine(Fits.PowerLaw f, double[] fx, String suffix) {
        double[] fy = java.util.Arrays.stream(fx).map(x -> f.a() * Math.pow(x, f.b())).toArray();
        return new Charts.Series(String.format(Locale.ROOT, "fit %.2g n^%.2f", f.a(), f.b()) + suffix, fx, fy);
    }

    private static void putFit(ObjectNode o, String name, Fits.PowerLaw f, String method) {
        ObjectNode fit = o.putObject(name);
        fit.put("a", f.a());
        fit.put("exponent", f.b());
        fit.put("exponent_ci95_low", f.ciLow());
        fit.put("exponent_ci95_high", f.ciHigh());
        fit.put("r2", f.r2());
        fit.put("points", f.points());
        fit.put("method", method);
    }

    /** Each size's run in a subfolder, sweep.json, the fit figure, and the report sections. */
    static void writeSweep(Experiments.Sweep s, Path dir, HtmlReport report) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        ArrayNode runs = o.putArray("runs");
        List<Charts.Series> curves = new ArrayList<>();
        for (GraphTrace.Result r : s.runs()) {
            String name = r.graph().name().replace(':', '_');
            TraceOutput.write(r, dir.resolve(name));
            ObjectNode e = runs.addObject();
            e.put("graph", r.graph().name());
            e.put("nodes", r.graph().size());
            e.put("t_star", r.critical().tStar());
            e.put("t_reach", r.critical().tReach());
            e.put("folder", name);
            double[] pos = new double[r.positions().length];
            for (int i = 0; i < pos.length; i++) pos[i] = r.positions()[i];
            curves.add(new Charts.Series(r.graph().name(), pos, r.accuracyFull()));
        }
        String ols = "ordinary least squares of ln t on ln n; 95% interval from the t distribution with n - 2"
                + " degrees of freedom; ";
        putFit(o, "power_law", s.fit(), ols + "t* per graph: " + GraphTrace.CriticalContext.METHOD);
        if (s.reachFit() != null) {
            putFit(o, "power_law_reach", s.reachFit(), ols + "t_reach per graph: the first measured position from which"
                    + " full-vocabulary accuracy stays at or above " + GraphTrace.CriticalContext.REACH
                    + " (graphs that never reach it are left out)");
        }
        AtomicFile.writeJson(dir.resolve("sweep.json"), o, true);
        double[] xs = s.sizes();
        double[] fx = {java.util.Arrays.stream(xs).min().orElse(1), java.util.Arrays.stream(xs).max().orElse(2)};
        List<Charts.Series> fitSeries = new ArrayList<>(List.of(new Charts.Series("measured t*", xs, s.tStars()),
                fitLine(s.fit(), fx, "")));
        if (s.reachFit() != null) {
            double[][] reached = s.reached();
            fitSeries.add(new Charts.Series("measured t_reach", reached[0], reached[1]));
            fitSeries.add(fitLine(s.reachFit(), fx, " (t_reach)"));
        }
        org.knowm.xchart.XYChart fitChart = Charts.lines("Critical context against graph size", "nodes n (log)",
                "critical context (log)", fitSeries, true);
        fitChart.getStyler().setYAxisLogarithmic(true);
        Charts.write(fitChart, dir.resolve("power_law"), true);
        org.knowm.xchart.XYChart accChart = Charts.lines("Accuracy against context, by graph", "context position (log)",
                "p(valid next word)", curves, true);
        Charts.write(accChart, dir.resolve("accuracy_by_size"), true);
        report.section("Critical context across graph sizes (" + s.runs().get(0).config().samplingInWords() + ")");
        report.paragraph(describe(s) + ". Each graph's t* is the midpoint of a sigmoid fitted to its accuracy against"
                + " log position (where the rise is half done).");
        report.paragraph(describeReach(s));
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < xs.length; i++) {
            rows.add(List.of(s.runs().get(i).graph().name(), String.valueOf((int) xs[i]),
                    String.format(Locale.ROOT, "%.1f", s.tStars()[i]),
                    Double.isNaN(s.tReach()[i]) ? "not reached" : String.valueOf((int) s.tReach()[i]),
                    String.format(Locale.ROOT, "%.2f", last(s.runs().get(i).accuracyFull()))));
        }
        report.table(List.of("graph", "nodes", "t*", "t_reach", "final accuracy"), rows);
        report.figure(Charts.png(fitChart), "Critical context t* (and t_reach) against the number of nodes, with the"
                + " power-law fits.");
        report.figure(Charts.png(accChart), "Accuracy (whole vocabulary) against context for each graph size.");
    }

    private static double last(double[] v) {
        return v[v.length - 1];
    }

    @Command(name = "conflict", mixinStandardHelpOptions = true,
            description = "Semantic conflict: the days of the week on a ring in steps of three days; which principal"
                    + " components carry the in-context ring and which the natural weekly order.")
    static final class Conflict implements Callable<Integer> {
        @Mixin
        RunOptions run;

        @Override
        public Integer call() {
            try (LanguageModel lm = run.load()) {
                Experiments.Conflict c = Experiments.conflict(run.config("ring:7", null), lm, GraphTraceCommand::log);
                HtmlReport report = new HtmlReport("Semantic conflict: the days of the week");
                writeConflict(c, run.out, report);
                report.write(run.out.resolve("report.html"));
                log(Experiments.describe(c));
                log("wrote " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

    static void writeConflict(Experiments.Conflict c, Path dir, HtmlReport report) {
        Map<String, byte[]> figures = writeRunFiles(c.run(), dir);
        ObjectNode o = new ObjectMapper().createObjectNode();
        ArrayNode order = o.putArray("ring_order");
        c.order().forEach(order::add);
        ObjectNode per = o.putObject("alignment_r2");
        c.r2().forEach((hook, v) -> {
            ObjectNode h = per.putObject(hook);
            h.put("context_ring_pc12", v[0]);
            h.put("natural_week_pc12", v[1]);
            h.put("context_ring_pc34", v[2]);
            h.put("natural_week_pc34", v[3]);
        });
        if (c.hook() != null) o.put("clearest_hook", c.hook());
        o.put("definition", "R^2 of the least-squares affine map from a pair of principal components of the day means"
                + " (last position) to the two leading Laplacian eigenvectors of the in-context ring or of the natural"
                + " weekly ring; with 7 points, a random 2-D configuration already scores about 0.3");
        AtomicFile.writeJson(dir.resolve("conflict.json"), o, true);
        report.section("Semantic conflict: days of the week");
        report.paragraph(Experiments.describe(c));
        List<List<String>> rows = new ArrayList<>();
        c.r2().forEach((hook, v) -> rows.add(List.of(hook, f(v[1]), f(v[0]), f(v[2]), f(v[3]))));
        report.table(List.of("hook point", "PC1-2 vs weekly", "PC1-2 vs in-context", "PC3-4 vs in-context",
                "PC3-4 vs weekly"), rows);
        figures.forEach((caption, png) -> report.figure(png, caption));
    }

    static Map<String, byte[]> writeRunFiles(GraphTrace.Result r, Path dir) {
        TraceOutput.write(r, dir);
        return TraceFigures.write(r, dir);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
