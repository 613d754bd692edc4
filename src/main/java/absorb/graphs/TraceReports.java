package absorb.graphs;

import absorb.analysis.Fits;
import absorb.io.AtomicFile;
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

/**
 * The run folders of graph-tracing experiments (a single run, a sweep over graph sizes, the semantic conflict): their
 * JSON, their figures and their sections of the HTML report.
 */
public final class TraceReports {
    private TraceReports() {}

    /** The run folder: config, sequences, metrics, figures and its report. */
    public static Map<String, byte[]> writeRun(GraphTrace.Result r, Path dir, String title) {
        TraceOutput.write(r, dir);
        Map<String, byte[]> figures = TraceFigures.write(r, dir);
        HtmlReport report = new HtmlReport(title);
        TraceFigures.section(report, r.graph().name(), r, figures);
        report.write(dir.resolve("report.html"));
        return figures;
    }

    public static String describe(Experiments.Sweep s) {
        return describe("t*", s.fit());
    }

    public static String describe(String what, Fits.PowerLaw f) {
        return String.format(Locale.ROOT, "power law %s = %.3g n^%.2f over %d sizes (95%% CI of the exponent %.2f to %.2f),"
                + " R^2 = %.3f", what, f.a(), f.b(), f.points(), f.ciLow(), f.ciHigh(), f.r2());
    }

    /** The second reading of the sweep, in words. */
    public static String describeReach(Experiments.Sweep s) {
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

    /** A sweep's folder with a report of its own (report.html). */
    public static void writeSweepRun(Experiments.Sweep s, Path dir) {
        HtmlReport report = new HtmlReport("Critical context across graph sizes");
        writeSweep(s, dir, report);
        report.write(dir.resolve("report.html"));
    }

    /** Each size's run in a subfolder, sweep.json, the fit figure, and the report sections. */
    public static void writeSweep(Experiments.Sweep s, Path dir, HtmlReport report) {
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

    /** The conflict run's folder with a report of its own (report.html). */
    public static void writeConflictRun(Experiments.Conflict c, Path dir) {
        HtmlReport report = new HtmlReport("Semantic conflict: the days of the week");
        writeConflict(c, dir, report);
        report.write(dir.resolve("report.html"));
    }

    public static void writeConflict(Experiments.Conflict c, Path dir, HtmlReport report) {
        Map<String, byte[]> figures = writeRunFiles(c.run(), dir);
        ObjectNode o = new ObjectMapper().createObjectNode();
        ArrayNode order = o.putArray("ring_order");
        c.order().forEach(order::add);
        ObjectNode per = o.putObject("alignment_r2");
        c.r2().forEach((hook, v) -> {
            ObjectNode h = per.putObject(hook);
            h.put("context_ring_pc12", v.contextRingPc12());
            h.put("natural_week_pc12", v.naturalWeekPc12());
            h.put("context_ring_pc34", v.contextRingPc34());
            h.put("natural_week_pc34", v.naturalWeekPc34());
        });
        if (c.hook() != null) o.put("clearest_hook", c.hook());
        o.put("definition", "R^2 of the least-squares affine map from a pair of principal components of the day means"
                + " (last position) to the two leading Laplacian eigenvectors of the in-context ring or of the natural"
                + " weekly ring; with 7 points, a random 2-D configuration already scores about 0.3");
        AtomicFile.writeJson(dir.resolve("conflict.json"), o, true);
        report.section("Semantic conflict: days of the week");
        report.paragraph(Experiments.describe(c));
        List<List<String>> rows = new ArrayList<>();
        c.r2().forEach((hook, v) -> rows.add(List.of(hook, f(v.naturalWeekPc12()), f(v.contextRingPc12()),
                f(v.contextRingPc34()), f(v.naturalWeekPc34()))));
        report.table(List.of("hook point", "PC1-2 vs weekly", "PC1-2 vs in-context", "PC3-4 vs in-context",
                "PC3-4 vs weekly"), rows);
        figures.forEach((caption, png) -> report.figure(png, caption));
    }

    public static Map<String, byte[]> writeRunFiles(GraphTrace.Result r, Path dir) {
        TraceOutput.write(r, dir);
        return TraceFigures.write(r, dir);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
