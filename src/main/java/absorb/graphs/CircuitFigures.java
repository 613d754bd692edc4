package absorb.graphs;

import absorb.report.Figure;
import absorb.report.HeatMap;
import absorb.report.HtmlReport;
import absorb.report.Palette;
import absorb.report.Plot;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of the circuit experiments (head scores, ablation, patching, neighbour mixing): heat maps of a value per
 * layer and head (or position) and curves against context, each written as PNG and SVG into the run folder and
 * returned for the report, with its caption.
 */
public final class CircuitFigures {
    private CircuitFigures() {}

    /** A layer x head heat map of scores on [0, max]. */
    public static HeatMap headMap(String title, double[][] scores, double max) {
        List<String> heads = new ArrayList<>(), layers = new ArrayList<>();
        for (int h = 0; h < scores[0].length; h++) heads.add(String.valueOf(h));
        for (int l = 0; l < scores.length; l++) layers.add(String.valueOf(l));
        return new HeatMap(title, "head", "layer", heads, layers, scores, 0, max);
    }

    private static final String POSITION = "context position (tokens, log scale)";
    private static final Color RANDOM = Palette.PURPLE;

    /** Word means (or mixed vectors) on PC1-2 with their labels and the graph's edges. */
    static Plot scatter(String title, double[][] coords, List<String> labels, int[][] edges) {
        double[][] xy = new double[coords.length][];
        for (int i = 0; i < coords.length; i++) if (coords[i] != null && coords[i].length >= 2) xy[i] = coords[i];
        return new Plot(title).x("PC1", Plot.Scale.LINEAR).y("PC2", Plot.Scale.LINEAR)
                .edges(xy, edges, Palette.LIGHT_GREY, 1.1)
                .labelledPoints(xy, labels, Collections.nCopies(coords.length, Palette.BLUE), 4.2);
    }

/** The head-score heat maps (one per score and sequence kind) into {@code dir}, by caption. */
    public static Map<String, byte[]> heads(HeadScores.Report r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        for (HeadScores.Scores s : r.all()) {
            String kind = s == r.repeated() ? "repeated" : "walks";
            figures.put("Induction score per head on " + s.sequences() + ": mean attention from a token to the token"
                    + " after its previous occurrence.", headMap("Induction score (" + kind + ")", s.induction(), 1)
                    .write(dir.resolve("induction_" + kind)));
            figures.put("Previous-token score per head on " + s.sequences() + ": mean attention to the position"
                    + " before.", headMap("Previous-token score (" + kind + ")", s.previous(), 1)
                    .write(dir.resolve("previous_" + kind)));
        }
        return figures;
    }

    /** The report section of the head scores: a reading, a table of the top heads, the heat maps. */
    public static void headsSection(HtmlReport report, HeadScores.Report r, Map<String, byte[]> figures) {
        report.section("Attention heads: induction and previous-token scores");
        report.paragraph(HeadScores.reading(r));
        List<List<String>> rows = new ArrayList<>();
        int k = Math.min(5, r.repeated().induction().length * r.repeated().induction()[0].length);
        List<HeadScores.Head> ind = r.repeated().top("induction", k), prev = r.repeated().top("previous", k);
        for (int i = 0; i < k; i++) {
            rows.add(List.of(String.valueOf(i + 1), ind.get(i).toString(), f(r.repeated().score("induction", ind.get(i))),
                    prev.get(i).toString(), f(r.repeated().score("previous", prev.get(i)))));
        }
        report.table(List.of("rank", "induction head", "score", "previous-token head", "score"), rows);
        figures.forEach((caption, png) -> report.figure(png, caption));
    }

    static String f(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** The ablation's figures into {@code dir}, by caption. */
    public static Map<String, byte[]> ablation(Ablation.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        GraphTrace.Result base = r.baseline().run();
        double[] pos = doubles(base.positions());
        String g = base.graph().name();
        Plot acc = new Plot("Accuracy with heads ablated, " + g).x(POSITION, Plot.Scale.LOG)
                .y("p(valid next word)", Plot.Scale.LINEAR).yRange(0, 1)
                .line("no ablation", pos, base.accuracyFull(), Plot.Style.of(Palette.BLACK))
                .line(r.chosen().name(), pos, r.chosen().run().accuracyFull(), Plot.Style.of(Palette.VERMILLION)
                        .marker(Plot.Marker.SQUARE).radius(2.2))
                .line(r.random().size() + " random sets (mean)", pos, meanCurve(r.random(), c -> c.run().accuracyFull()),
                        Plot.Style.of(RANDOM).marker(Plot.Marker.TRIANGLE).radius(2.4));
        figures.put("Accuracy (whole vocabulary) against context on " + g + ": unablated, with " + r.chosen().name()
                + " " + r.settings().kind() + "-ablated at attn.z, and with as many random heads (mean over "
                + r.random().size() + " draws from " + r.randomFrom() + ").", Figure.of(acc).write(dir.resolve(
                "ablation_accuracy")));
        Plot r2 = new Plot("Spectral alignment with heads ablated, " + r.hook()).x(POSITION, Plot.Scale.LOG)
                .y("R² of PC1-2 vs the Laplacian eigenvectors", Plot.Scale.LINEAR).yRange(0, 1)
                .line("no ablation", pos, finite(base.hooks().get(r.hook()).spectralR2()), Plot.Style.of(Palette.BLACK))
                .line(r.chosen().name(), pos, finite(r.chosen().run().hooks().get(r.hook()).spectralR2()),
                        Plot.Style.of(Palette.VERMILLION).marker(Plot.Marker.SQUARE).radius(2.2))
                .line("random sets (mean)", pos, finite(meanCurve(r.random(), c -> c.run().hooks().get(r.hook())
                        .spectralR2())), Plot.Style.of(RANDOM).marker(Plot.Marker.TRIANGLE).radius(2.4));
        figures.put("Alignment of PC1-2 of the word means at " + r.hook() + " with the graph's spectral embedding (R^2)"
                + " against context, unablated and ablated.", Figure.of(r2).write(dir.resolve("ablation_spectral_r2")));
        if (!r.curve().isEmpty()) {
            double[] ks = r.curve().stream().mapToDouble(Ablation.CurvePoint::k).toArray();
            double[] mean = r.curve().stream().mapToDouble(Ablation.CurvePoint::randomMean).toArray();
            double[] lo = r.curve().stream().mapToDouble(p -> p.randomMean() - p.randomSd()).toArray();
            double[] hi = r.curve().stream().mapToDouble(p -> p.randomMean() + p.randomSd()).toArray();
            Plot.Style band = Plot.Style.of(RANDOM).width(1.2).dashed().marker(Plot.Marker.NONE);
            Plot curve = new Plot("Final accuracy against heads ablated, " + g).x("heads ablated K", Plot.Scale.LINEAR)
                    .y("p(valid next word), last position", Plot.Scale.LINEAR).yRange(0, 1)
                    .line("top K induction heads", ks, r.curve().stream().mapToDouble(Ablation.CurvePoint::topInduction)
                            .toArray(), Plot.Style.of(Palette.VERMILLION))
                    .line("top K previous-token heads", ks, r.curve().stream().mapToDouble(
                            Ablation.CurvePoint::topPrevious).toArray(), Plot.Style.of(Palette.BLUE)
                            .marker(Plot.Marker.SQUARE).radius(2.2))
                    .line("K random heads (mean)", ks, mean, Plot.Style.of(RANDOM).marker(Plot.Marker.TRIANGLE)
                            .radius(2.4))
                    .line("random ± 1 sd", ks, lo, band)
                    .line(null, ks, hi, band)
                    .horizontal(r.baseline().finalAccuracy(), "no ablation");
            figures.put("Accuracy at the last position with the top K heads of each score " + r.settings().kind()
                    + "-ablated, against K random heads (mean and one standard deviation over " + r.settings().draws()
                    + " draws; drawn outside the top K of both scores where enough heads remain); dotted: unablated.",
                    Figure.of(curve).write(dir.resolve("ablation_curve")));
        }
        int at = base.positions()[base.positions().length - 1];
        for (Ablation.Condition c : List.of(r.baseline(), r.chosen())) {
            double[][] coords = c.run().hooks().get(r.hook()).snapshots().get(at);
            if (coords == null) continue;
            String name = c == r.baseline() ? "ablation_pca_unablated" : "ablation_pca_ablated";
            figures.put("Word means at " + r.hook() + " (last " + base.config().window() + " positions up to " + at
                    + ") on their first two principal components, " + c.name() + ".", Figure.of(scatter(
                    "PCA of word means, " + c.name(), coords, base.words(), base.graph().edges()), Figure.WIDTH, 440)
                    .write(dir.resolve(name)));
        }
        return figures;
    }

    /** The ablation's report section: a reading, a table of the conditions, the figures. */
    public static void ablationSection(HtmlReport report, Ablation.Result r, Map<String, byte[]> figures) {
        report.section("Head ablation on " + r.baseline().run().graph().name());
        report.paragraph(Ablation.reading(r));
        List<List<String>> rows = new ArrayList<>();
        for (Ablation.Condition c : conditions(r)) {
            rows.add(List.of(c.name(), c.heads().isEmpty() ? "-" : Ablation.names(c.heads()), f(c.finalAccuracy()),
                    f(last(c.run().hooks().get(r.hook()).spectralR2()))));
        }
        report.table(List.of("condition", "heads", "final accuracy", "spectral R^2 at " + r.hook()), rows);
        List<String> hooks = new ArrayList<>(r.baseline().run().hooks().keySet()), header = new ArrayList<>(List.of("condition"));
        header.addAll(hooks);
        List<List<String>> byLayer = new ArrayList<>();
        for (Ablation.Condition c : List.of(r.baseline(), r.chosen())) {
            List<String> row = new ArrayList<>(List.of(c.name()));
            for (String h : hooks) row.add(c.run().hooks().containsKey(h) ? f(last(c.run().hooks().get(h).spectralR2())) : "-");
            byLayer.add(row);
        }
        report.paragraph("Spectral alignment (R^2 of PC1-2 against the graph's Laplacian eigenvectors, last position) at"
                + " every recorded hook point; a point before the first ablated layer cannot change.");
        report.table(header, byLayer);
        if (!r.curve().isEmpty()) {
            List<List<String>> curve = new ArrayList<>();
            for (Ablation.CurvePoint p : r.curve()) {
                curve.add(List.of(String.valueOf(p.k()), f(p.topInduction()), f(p.topPrevious()), f(p.randomMean()) + " +- "
                        + f(p.randomSd())));
            }
            report.table(List.of("K", "top induction", "top previous-token", "random (mean +- sd)"), curve);
        }
        figures.forEach((caption, png) -> report.figure(png, caption));
    }

    static List<Ablation.Condition> conditions(Ablation.Result r) {
        List<Ablation.Condition> all = new ArrayList<>(List.of(r.baseline(), r.chosen()));
        all.addAll(r.random());
        return all;
    }

    private static double[] meanCurve(List<Ablation.Condition> runs, java.util.function.Function<Ablation.Condition,
            double[]> of) {
        double[] out = new double[of.apply(runs.get(0)).length];
        for (Ablation.Condition c : runs) {
            double[] v = of.apply(c);
            for (int i = 0; i < out.length; i++) out[i] += v[i] / runs.size();
        }
        return out;
    }

    static double[] doubles(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** NaN (no data yet) drawn as the next finite value, so lines stay unbroken. */
    static double[] finite(double[] v) {
        double[] out = v.clone();
        double next = Double.NaN;
        for (int i = out.length - 1; i >= 0; i--) {
            if (Double.isNaN(out[i])) out[i] = Double.isNaN(next) ? 0 : next;
            else next = out[i];
        }
        return out;
    }

    static double last(double[] v) {
        return v[v.length - 1];
    }

    /** The neighbour-mixing baseline's PCA scatter after each round, into {@code dir}, by caption. */
    public static Map<String, byte[]> mixing(NeighbourMixing.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < r.graph().size(); i++) labels.add(String.valueOf(i));
        for (NeighbourMixing.Round round : r.rounds()) {
            figures.put(String.format(Locale.ROOT, "Random vectors after %d round(s) of neighbour mixing on their first two"
                            + " principal components (R^2 against the spectral embedding %.2f), with the graph's edges.",
                    round.round(), round.spectralR2()), Figure.of(scatter("Neighbour mixing, " + round.round()
                    + " round(s)", round.coords(), labels, r.graph().edges()), Figure.WIDTH, 440).write(
                    dir.resolve("mixing_round_" + round.round())));
        }
        return figures;
    }

    /** The patching heat maps (layer x position for each site, layer x head for attn.z), by caption. */
    public static Map<String, byte[]> patching(Patching.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        List<String> columns = new ArrayList<>(), layers = new ArrayList<>();
        for (int p : r.positions()) columns.add(String.valueOf(p));
        columns.add("all");
        for (int l = 0; l < r.byHead().length; l++) layers.add(String.valueOf(l));
        for (int p = 0; p < r.settings().points().size(); p++) {
            String site = r.settings().points().get(p).suffix;
            figures.put("Fraction of the difference between run A and run B that copying blocks.{layer}." + site + " from"
                    + " A into B restores, one position at a time (the last " + r.positions().length + ") and at all"
                    + " positions at once; blank where A's and B's values are the same.", new HeatMap("Restored"
                    + " fraction, " + site, "position", "layer", columns, layers, r.byPosition()[p], 0, 1)
                    .write(dir.resolve("patch_" + site)));
        }
        figures.put("Fraction restored by copying one head's output (attn.z) from A into B at every position.",
                headMap("Restored fraction, attn.z per head", r.byHead(), 1).write(dir.resolve("patch_attn_z")));
        return figures;
    }
}
