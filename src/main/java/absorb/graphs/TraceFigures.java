package absorb.graphs;

import absorb.report.Charts;
import absorb.report.HtmlReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;

/** The figures of a graph-tracing run (PNG and SVG in its folder) and its section of the HTML report. */
public final class TraceFigures {
    private TraceFigures() {}

    /** The hook point whose word means align best with the spectral embedding at the last position. */
    public static String bestHook(GraphTrace.Result r) {
        String best = null;
        double v = Double.NEGATIVE_INFINITY;
        for (GraphTrace.HookMeasures m : r.hooks().values()) {
            double x = last(m.spectralR2());
            if (!Double.isNaN(x) && x > v) {
                v = x;
                best = m.hook();
            }
        }
        return best != null ? best : r.hooks().keySet().iterator().next();
    }

    /** At most six hook points spread over the layers, the best one included. */
    static List<String> shownHooks(GraphTrace.Result r) {
        List<String> all = new ArrayList<>(r.hooks().keySet());
        List<String> out = new ArrayList<>();
        int k = Math.min(6, all.size());
        for (int i = 0; i < k; i++) {
            String h = all.get((int) Math.round(i * (all.size() - 1) / Math.max(1.0, k - 1)));
            if (!out.contains(h)) out.add(h);
        }
        String best = bestHook(r);
        if (!out.contains(best)) out.add(best);
        return out;
    }

    /** Writes every figure of {@code r} into {@code dir} and returns them (PNG bytes and captions), in report order. */
    public static Map<String, byte[]> write(GraphTrace.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        String g = r.graph().name();
        double[] pos = toDouble(r.positions());
        XYChart acc = Charts.lines("Rule-following accuracy, " + g, "context position (log)", "p(valid next word)",
                List.of(new Charts.Series("full vocabulary", pos, r.accuracyFull()),
                        new Charts.Series("graph words only", pos, r.accuracyGraph()),
                        new Charts.Series("chance (graph words)", new double[] {pos[0], pos[pos.length - 1]},
                                new double[] {r.chance(), r.chance()})), true);
        Charts.verticalLine(acc, r.critical().tStar());
        add(figures, dir, "accuracy", acc, "Accuracy against context; the vertical line is the critical context t* = "
                + fmt(r.critical().tStar()) + " (" + r.critical().method() + ").");
        List<Charts.Series> energy = new ArrayList<>(), r2 = new ArrayList<>();
        for (String h : shownHooks(r)) {
            GraphTrace.HookMeasures m = r.hooks().get(h);
            energy.add(new Charts.Series(h, pos, finite(m.energy(r.config().conventions().energy()))));
            r2.add(new Charts.Series(h, pos, finite(m.spectralR2())));
        }
        XYChart en = Charts.lines("Dirichlet energy (normalized), " + g, "context position (log)", "energy", energy, true);
        Charts.verticalLine(en, r.critical().tStar());
        add(figures, dir, "energy", en, "Dirichlet energy of the " + GraphTrace.energyInWords(r.config()) + " word means"
                + " over the last " + r.config().window() + " positions, per layer; vertical line: t*.");
        add(figures, dir, "spectral_r2", Charts.lines("Alignment with the spectral embedding, " + g, "context position (log)",
                "R^2 (PC1-2 -> Laplacian eigenvectors)", r2, true), "How well the first two principal components of the"
                + " word means map onto the graph's two leading Laplacian eigenvectors (R^2 of an affine map).");
        String best = bestHook(r);
        GraphTrace.HookMeasures m = r.hooks().get(best);
        for (Map.Entry<Integer, double[][]> s : m.snapshots().entrySet()) {
            String name = "pca_" + best.replace('.', '_') + "_t" + s.getKey();
            double[] ex = explainedAt(m, s.getKey());
            add(figures, dir, name, Charts.graphScatter("PCA of word means, " + best + ", position " + s.getKey(),
                    "PC1" + (ex.length > 0 ? String.format(Locale.ROOT, " (%.0f%%)", 100 * ex[0]) : ""),
                    "PC2" + (ex.length > 1 ? String.format(Locale.ROOT, " (%.0f%%)", 100 * ex[1]) : ""),
                    s.getValue(), r.words(), r.graph().edges()),
                    "Word means (last " + r.config().window() + " positions up to " + s.getKey() + ") on their first two"
                            + " principal components at " + best + ", with the graph's edges drawn.");
        }
        return figures;
    }

    /** The report section: a reading of the numbers, a table of them, and the figures. */
    public static void section(HtmlReport report, String heading, GraphTrace.Result r, Map<String, byte[]> figures) {
        report.section(heading);
        report.paragraph(reading(r));
        figures.forEach((name, png) -> report.figure(png, name));
    }

    /** A few sentences stating what the run measured. */
    public static String reading(GraphTrace.Result r) {
        int n = r.positions().length;
        String best = bestHook(r);
        GraphTrace.HookMeasures m = r.hooks().get(best);
        double[] energy = m.energy(r.config().conventions().energy());
        int minAt = argmin(energy);
        double[] ex = m.explained()[n - 1];
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%s with %d words, %d sequences of %d tokens. Rule-following accuracy (whole"
                        + " vocabulary) goes from %.2f at position %d to %.2f at position %d (graph words only: %.2f to %.2f;"
                        + " chance %.2f). The critical context (midpoint of a sigmoid fitted against log position) is"
                        + " t* = %s. ",
                r.graph().name(), r.words().size(), r.tokenIds().length, r.tokenIds()[0].length, r.accuracyFull()[0],
                r.positions()[0], r.accuracyFull()[n - 1], r.positions()[n - 1], r.accuracyGraph()[0],
                r.accuracyGraph()[n - 1], r.chance(), fmt(r.critical().tStar())));
        s.append(String.format(Locale.ROOT, "The word means align best with the graph at %s: at the last position the first"
                        + " two principal components explain %s of their variance and match the spectral embedding with"
                        + " R^2 = %.2f. ",
                best, ex.length > 1 ? String.format(Locale.ROOT, "%.0f%%", 100 * (ex[0] + ex[1])) : "n/a",
                last(m.spectralR2())));
        s.append(String.format(Locale.ROOT, "Their normalized Dirichlet energy is lowest at position %d (%.3f), %s the"
                        + " accuracy rise at t*.",
                r.positions()[minAt], energy[minAt], r.positions()[minAt] <= r.critical().tStar() ? "before"
                        : "after"));
        return s.toString();
    }

    static double[] explainedAt(GraphTrace.HookMeasures m, int position) {
        for (int k = 0; k < m.positions().length; k++) if (m.positions()[k] == position) return m.explained()[k];
        return new double[0];
    }

    static int argmin(double[] v) {
        int best = -1;
        for (int i = 0; i < v.length; i++) if (!Double.isNaN(v[i]) && (best < 0 || v[i] < v[best])) best = i;
        return Math.max(best, 0);
    }

    static double last(double[] v) {
        return v[v.length - 1];
    }

    private static void add(Map<String, byte[]> figures, Path dir, String name, XYChart chart, String caption) {
        Charts.write(chart, dir.resolve(name), true);
        figures.put(caption, Charts.png(chart));
    }

    private static double[] toDouble(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** NaN (no data yet) drawn as the next finite value, so lines stay unbroken. */
    private static double[] finite(double[] v) {
        double[] out = v.clone();
        double next = Double.NaN;
        for (int i = out.length - 1; i >= 0; i--) {
            if (Double.isNaN(out[i])) out[i] = Double.isNaN(next) ? 0 : next;
            else next = out[i];
        }
        return out;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
    }
}
