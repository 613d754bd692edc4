package absorb.graphs;

import absorb.analysis.Fits;
import absorb.io.AtomicFile;
import absorb.report.Figure;
import absorb.report.HtmlReport;
import absorb.report.Palette;
import absorb.report.Plot;
import java.awt.Color;
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

    /** A run's finding in one line: final accuracy, critical context, the best spectral alignment and where. */
    public static String describe(GraphTrace.Result r) {
        String best = TraceFigures.bestHook(r);
        int n = r.positions().length;
        return String.format(Locale.ROOT, "%s: accuracy %.3f at position %d (whole vocabulary; %.3f over the graph's words,"
                        + " chance %.3f), critical context t* = %.1f, spectral alignment R^2 = %.3f at %s", r.graph().name(),
                r.accuracyFull()[n - 1], r.positions()[n - 1], r.accuracyGraph()[n - 1], r.chance(), r.critical().tStar(),
                last(r.hooks().get(best).spectralR2()), best);
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

    /** The fitted power law a n^b at {@code fx}. */
    private static double[] fitted(Fits.PowerLaw f, double[] fx) {
        return java.util.Arrays.stream(fx).map(x -> f.a() * Math.pow(x, f.b())).toArray();
    }

    /** "t* fit 0.90 n^1.66 (R² 0.96)". */
    private static String fitName(String what, Fits.PowerLaw f) {
        return String.format(Locale.ROOT, "%s fit %.2g n^%.2f (R² %.2f)", what, f.a(), f.b(), f.r2());
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
        Map<String, Color> colours = graphColours(s);
        Plot accuracy = new Plot("Rule-following accuracy by graph size, " + s.runs().get(0).config().samplingInWords())
                .x("context position (tokens, log scale)", Plot.Scale.LOG).y("p(valid next word)", Plot.Scale.LINEAR)
                .yRange(0, 1);
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
            Color c = colours.get(r.graph().name());
            accuracy.line(r.graph().name(), pos, r.accuracyFull(), Plot.Style.of(c).radius(2));
            accuracy.mark(r.critical().tStar(), interpolate(pos, r.accuracyFull(), r.critical().tStar()), null, c);
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
        double lo = java.util.Arrays.stream(xs).min().orElse(1), hi = java.util.Arrays.stream(xs).max().orElse(2);
        double[] fx = new double[25];
        for (int i = 0; i < fx.length; i++) fx[i] = lo * Math.pow(hi / lo, i / (fx.length - 1.0));
        Plot power = new Plot("Critical context against graph size, " + s.runs().get(0).config().samplingInWords()).x("nodes n (log scale)", Plot.Scale.LOG).y("context (tokens, log scale)", Plot.Scale.LOG)
                .line(fitName("t*", s.fit()), fx, fitted(s.fit(), fx), Plot.Style.of(Palette.BLACK).marker(Plot.Marker.NONE)
                        .width(1.2))
                .points("t* (midpoint of the rise)", xs, s.tStars(), Plot.Style.of(Palette.BLACK).radius(3.6));
        if (s.reachFit() != null) {
            double[][] reached = s.reached();
            power.line(fitName("t_reach", s.reachFit()), fx, fitted(s.reachFit(), fx),
                    Plot.Style.of(Palette.VERMILLION).marker(Plot.Marker.NONE).width(1.2).dashed())
                    .points("t_reach (accuracy stays >= " + GraphTrace.CriticalContext.REACH + ")", reached[0], reached[1],
                            Plot.Style.of(Palette.VERMILLION).marker(Plot.Marker.SQUARE).radius(3.4).hollow());
        }
        byte[] powerPng = Figure.of(power).write(dir.resolve("power_law"));
        byte[] accPng = Figure.of(accuracy).write(dir.resolve("accuracy_by_size"));
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
        report.figure(powerPng, powerCaption(s));
        report.figure(accPng, "Accuracy (whole vocabulary) against context for each graph size; the ring on each curve"
                + " marks its t*.");
    }

    private static double last(double[] v) {
        return v[v.length - 1];
    }

    /** What the power-law figure shows. */
    public static String powerCaption(Experiments.Sweep s) {
        return "t* (the midpoint of each graph's rise in accuracy) against the number of nodes on log-log axes, with the"
                + " fitted power law" + (s.reachFit() == null ? "" : "; open squares and dashed line: the second reading,"
                        + " t_reach, and its power law") + ".";
    }

    /** One colour per graph of a sweep, in order of size (the same graphs get the same colours in every sweep). */
    static Map<String, Color> graphColours(Experiments.Sweep s) {
        return Palette.ordered(s.runs().stream().map(r -> r.graph().name()).toList());
    }

    /** y at x on the polyline through (xs, ys), interpolated in log x. */
    static double interpolate(double[] xs, double[] ys, double x) {
        if (!(x > 0)) return Double.NaN;
        for (int i = 1; i < xs.length; i++) {
            if (xs[i] >= x) {
                double t = (Math.log(x) - Math.log(xs[i - 1])) / (Math.log(xs[i]) - Math.log(xs[i - 1]));
                return ys[i - 1] + Math.max(0, Math.min(1, t)) * (ys[i] - ys[i - 1]);
            }
        }
        return ys[ys.length - 1];
    }

    /** The conflict run's folder with a report of its own (report.html). */
    public static void writeConflictRun(Experiments.Conflict c, Path dir) {
        HtmlReport report = new HtmlReport("Semantic conflict: the days of the week");
        writeConflict(c, dir, report);
        report.write(dir.resolve("report.html"));
    }

    public static void writeConflict(Experiments.Conflict c, Path dir, HtmlReport report) {
        TraceOutput.write(c.run(), dir);
        Map<String, byte[]> curves = TraceFigures.curves(c.run(), dir);
        TraceFigures.pcas(c.run(), dir); // in the folder; the report shows the conflict's own figure instead
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
        byte[] split = TraceFigures.conflict(c, dir);
        if (split != null) report.figure(split, conflictCaption(c));
        curves.forEach((caption, png) -> report.figure(png, caption));
    }

    /** What the conflict's figure shows. */
    public static String conflictCaption(Experiments.Conflict c) {
        return "The day means at " + c.hook() + " (last position) on PC1-2 (left) and PC3-4 (right). Colour: each day's"
                + " place in the week (Monday blue, then round the colour wheel to Sunday); grey lines: the in-context ring"
                + " (" + String.join(" -> ", c.order()) + " -> " + c.order().get(0) + "). PC1-2 lay the days out in the"
                + " weekly order; PC3-4 in the ring's.";
    }

    public static Map<String, byte[]> writeRunFiles(GraphTrace.Result r, Path dir) {
        TraceOutput.write(r, dir);
        return TraceFigures.write(r, dir);
    }

    static String f(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
