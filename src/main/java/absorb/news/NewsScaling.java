package absorb.news;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.JsonFiles;
import absorb.report.Figure;
import absorb.report.Palette;
import absorb.report.Plot;
import absorb.report.HtmlReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accuracy after System-2 fine-tuning against the training compute spent, for each model size: the points of
 * several runs (each run's fine-tunings at its sample counts), a fit acc = a + b log10(FLOPs) per size, and the
 * compute each size needs to reach a target accuracy.
 */
public final class NewsScaling {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One fine-tuning: the model's size, samples per item, training FLOPs, accuracy without the news. */
    public record Point(long parameters, String run, int samples, double flops, double accuracy) {}

    /**
     * acc = a + b log10(FLOPs) fitted by least squares to a size's points, and the FLOPs at which the fit reaches
     * the target (NaN when it does not rise), marked as extrapolated outside the measured range.
     */
    public record Trend(long parameters, double a, double b, int points, double flopsAtTarget, boolean extrapolated) {}

    /** The points, the trends, the target and the accuracies it is set from. */
    public record Result(List<Point> points, List<Trend> trends, double target, double noNews, double icl) {}

    private NewsScaling() {}

    /**
     * The points of {@code protocol} (not shadowed) in each run's metrics.json. The target, unless given, is half way
     * from the runs' mean no-news accuracy to their mean ICL accuracy.
     */
    public static Result of(List<Path> runs, String protocol, Double target) {
        List<Point> points = new ArrayList<>();
        double noNews = 0, icl = 0;
        for (Path run : runs) {
            Path f = run.resolve("metrics.json");
            if (!Files.isRegularFile(f)) throw new AbsorbException("Run " + run + " has no metrics.json (is it finished?).");
            JsonNode m = JsonFiles.readObject(f, "Run metrics");
            long n = m.path("parameters").asLong();
            noNews += m.path("summary").path("no_news").asDouble();
            icl += m.path("summary").path("icl").asDouble();
            int found = 0;
            for (JsonNode t : m.path("fine_tuned")) {
                if (!t.path("protocol").asText().equals(protocol) || t.path("shadowed").asBoolean()) continue;
                points.add(new Point(n, run.toString(), t.path("samples_per_item").asInt(), t.path("training_flops").asDouble(),
                        t.path("no-news").path("acc").path("overall").path("estimate").asDouble()));
                found++;
            }
            if (found == 0) throw new AbsorbException("Run " + run + " has no " + protocol + " fine-tuning.");
        }
        noNews /= runs.size();
        icl /= runs.size();
        double goal = target != null ? target : (noNews + icl) / 2;
        Map<Long, List<Point>> bySize = new TreeMap<>();
        points.forEach(p -> bySize.computeIfAbsent(p.parameters(), k -> new ArrayList<>()).add(p));
        List<Trend> trends = new ArrayList<>();
        bySize.forEach((n, ps) -> trends.add(trend(n, ps, goal)));
        return new Result(points, trends, goal, noNews, icl);
    }

    /** Least squares of accuracy on log10(FLOPs). */
    static Trend trend(long n, List<Point> ps, double target) {
        int k = ps.size();
        if (k < 2) return new Trend(n, Double.NaN, Double.NaN, k, Double.NaN, false);
        double mx = 0, my = 0;
        for (Point p : ps) {
            mx += Math.log10(p.flops());
            my += p.accuracy();
        }
        mx /= k;
        my /= k;
        double sxy = 0, sxx = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Point p : ps) {
            double x = Math.log10(p.flops());
            sxy += (x - mx) * (p.accuracy() - my);
            sxx += (x - mx) * (x - mx);
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        double b = sxx == 0 ? Double.NaN : sxy / sxx, a = my - b * mx;
        if (!(b > 0)) return new Trend(n, a, b, k, Double.NaN, false);
        double x = (target - a) / b;
        return new Trend(n, a, b, k, Math.pow(10, x), x < lo || x > hi);
    }

    /** scaling.json, the figures and report.html in {@code out}. */
    public static void write(Result r, String protocol, Path out) {
        ObjectNode o = JSON.createObjectNode();
        o.put("protocol", protocol);
        o.put("target_accuracy", r.target());
        o.put("mean_no_news", r.noNews());
        o.put("mean_icl", r.icl());
        ArrayNode pts = o.putArray("points");
        for (Point p : r.points()) {
            pts.addObject().put("parameters", p.parameters()).put("run", p.run()).put("samples_per_item", p.samples())
                    .put("training_flops", p.flops()).put("accuracy", p.accuracy());
        }
        ArrayNode tr = o.putArray("trends");
        for (Trend t : r.trends()) {
            ObjectNode e = tr.addObject().put("parameters", t.parameters()).put("points", t.points());
            put(e, "intercept", t.a());
            put(e, "slope_per_decade", t.b());
            put(e, "flops_at_target", t.flopsAtTarget());
            e.put("extrapolated", t.extrapolated());
        }
        o.put("fit", "accuracy = intercept + slope_per_decade * log10(training FLOPs), least squares per model size");
        AtomicFile.writeJson(out.resolve("scaling.json"), o, true);
        Plot byFlops = new Plot("Accuracy after " + protocol + " fine-tuning against training compute")
                .x("training FLOPs", Plot.Scale.LOG).y("accuracy without the news", Plot.Scale.LINEAR);
        Plot bySamples = new Plot("... against samples per news item").x("samples per item", Plot.Scale.LOG)
                .y("accuracy without the news", Plot.Scale.LINEAR);
        Map<Long, List<Point>> bySize = new TreeMap<>();
        r.points().forEach(p -> bySize.computeIfAbsent(p.parameters(), k -> new ArrayList<>()).add(p));
        Map<String, java.awt.Color> colours = Palette.ordered(bySize.keySet().stream().map(String::valueOf).toList());
        bySize.forEach((n, ps) -> {
            ps.sort(java.util.Comparator.comparingDouble(Point::flops));
            String name = String.format(Locale.ROOT, "%,d parameters", n);
            Plot.Style style = Plot.Style.of(colours.get(String.valueOf(n)));
            byFlops.line(name, ps.stream().mapToDouble(Point::flops).toArray(),
                    ps.stream().mapToDouble(Point::accuracy).toArray(), style);
            bySamples.line(name, ps.stream().mapToDouble(Point::samples).toArray(),
                    ps.stream().mapToDouble(Point::accuracy).toArray(), style);
        });
        byFlops.horizontal(r.target(), String.format(Locale.ROOT, "target %.2f", r.target()));
        bySamples.horizontal(r.target(), String.format(Locale.ROOT, "target %.2f", r.target()));
        byte[] png = Figure.row(520, 360, byFlops, bySamples).write(out.resolve("accuracy_vs_compute"));
        HtmlReport report = new HtmlReport("New News: accuracy against training compute");
        report.section("Accuracy against compute");
        report.figure(png, "Each point is one fine-tuning; one line per model size; left against training FLOPs, right"
                + " against the samples generated per news item.");
        List<List<String>> rows = new ArrayList<>();
        for (Trend t : r.trends()) {
            rows.add(List.of(String.format(Locale.ROOT, "%,d", t.parameters()), String.valueOf(t.points()),
                    Double.isNaN(t.b()) ? "n/a" : String.format(Locale.ROOT, "%.3f", t.b()),
                    Double.isNaN(t.flopsAtTarget()) ? "not reached by the fit"
                            : String.format(Locale.ROOT, "%.3g%s", t.flopsAtTarget(), t.extrapolated() ? " (extrapolated)" : "")));
        }
        report.table(List.of("parameters", "points", "accuracy per decade of FLOPs",
                String.format(Locale.ROOT, "FLOPs to reach %.3f", r.target())), rows);
        report.write(out.resolve("report.html"));
    }

    private static void put(ObjectNode o, String k, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) o.putNull(k);
        else o.put(k, v);
    }
}
