package absorb.graphs;

import absorb.report.Figure;
import absorb.report.HtmlReport;
import absorb.report.Palette;
import absorb.report.Plot;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

    /** The file name (without extension) of the PCA figure at {@code hook} and {@code position}. */
    public static String pcaName(String hook, int position) {
        return "pca_" + hook.replace('.', '_') + "_t" + position;
    }

    /** The position of a run's last PCA snapshot (the end of the context). */
    public static int lastSnapshot(GraphTrace.Result r) {
        return r.snapshotPositions().stream().mapToInt(Integer::intValue).max().orElse(r.positions()[r.positions().length - 1]);
    }

    /** One colour per hook point of the run, the same in every figure of runs on the same model. */
    static Map<String, Color> hookColours(GraphTrace.Result r) {
        return Palette.keyed(new ArrayList<>(r.hooks().keySet()));
    }

    /** Writes every figure of {@code r} into {@code dir} and returns them (PNG bytes and captions), in report order. */
    public static Map<String, byte[]> write(GraphTrace.Result r, Path dir) {
        Map<String, byte[]> figures = curves(r, dir);
        figures.putAll(pcas(r, dir));
        return figures;
    }

    /** Accuracy, energy and spectral alignment against context: written into {@code dir}, returned by caption. */
    public static Map<String, byte[]> curves(GraphTrace.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        String g = r.graph().name();
        double[] pos = toDouble(r.positions());
        double tStar = r.critical().tStar();
        Plot acc = new Plot("Rule-following accuracy on " + g + ", at the next-token output")
                .x(POSITION, Plot.Scale.LOG).y("p(valid next word)", Plot.Scale.LINEAR).yRange(0, 1)
                .line("whole vocabulary", pos, r.accuracyFull(), Plot.Style.of(Palette.BLACK))
                .line("graph words only", pos, r.accuracyGraph(),
                        Plot.Style.of(Palette.GREY).marker(Plot.Marker.SQUARE).radius(2.2))
                .horizontal(r.chance(), "chance " + String.format(Locale.ROOT, "%.2f", r.chance()))
                .vertical(tStar, "t* = " + fmt(tStar));
        add(figures, dir, "accuracy", Figure.of(acc), "Accuracy against context (log scale): the probability on the"
                + " valid next words with the softmax over the whole vocabulary and over the graph's words only; dotted:"
                + " chance over the graph's words; dashed: the critical context t* = " + fmt(tStar) + " ("
                + r.critical().method() + ").");
        Map<String, Color> colours = hookColours(r);
        String best = bestHook(r);
        Plot energy = new Plot("Dirichlet energy of the word means on " + g + ", by hook point")
                .x(POSITION, Plot.Scale.LOG).y(r.config().conventions().energy().equals("paper") ? "energy of the uncentred, unit-norm means (study's)"
                        : "energy of the centred, unit-norm means", Plot.Scale.LINEAR);
        Plot r2 = new Plot("Spectral alignment of the word means on " + g + ", by hook point")
                .x(POSITION, Plot.Scale.LOG).y("R² of PC1-2 vs the Laplacian eigenvectors", Plot.Scale.LINEAR).yRange(0, 1);
        for (String h : shownHooks(r)) {
            GraphTrace.HookMeasures m = r.hooks().get(h);
            Plot.Style style = Plot.Style.of(colours.get(h)).marker(MARKERS[shownHooks(r).indexOf(h) % MARKERS.length])
                    .width(h.equals(best) ? 2.2 : 1.4);
            energy.line(h, pos, finite(m.energy(r.config().conventions().energy())), style);
            r2.line(h, pos, finite(m.spectralR2()), style);
        }
        GraphTrace.HookMeasures bm = r.hooks().get(best);
        double[] bestEnergy = bm.energy(r.config().conventions().energy());
        int minAt = argmin(bestEnergy);
        energy.vertical(tStar, "t* = " + fmt(tStar)).mark(r.positions()[minAt], bestEnergy[minAt],
                "lowest at " + r.positions()[minAt], colours.get(best));
        add(figures, dir, "energy", Figure.of(energy), "Dirichlet energy of the word means (over the last "
                + r.config().window() + " positions, centred and scaled to unit norm) at each hook point; ringed: its"
                + " lowest value at " + best + " (position " + r.positions()[minAt] + "); dashed: t*.");
        add(figures, dir, "spectral_r2", Figure.of(r2), "How well the first two principal components of the word means"
                + " map onto the graph's two leading Laplacian eigenvectors (R^2 of an affine map), at each hook point.");
        return figures;
    }

    /** The word means on PC1-2 at the best-aligned hook point, at each snapshot position: written, returned by caption. */
    public static Map<String, byte[]> pcas(GraphTrace.Result r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        String best = bestHook(r);
        Map<String, Color> colours = hookColours(r);
        GraphTrace.HookMeasures bm = r.hooks().get(best);
        for (Map.Entry<Integer, double[][]> s : bm.snapshots().entrySet()) {
            int at = s.getKey();
            add(figures, dir, pcaName(best, at), Figure.of(pca(r, best, at, colours.get(best)), Figure.WIDTH, 440),
                    "Word means (last " + r.config().window() + " positions up to " + at + ") on their first two"
                            + " principal components at " + best + ", with the graph's edges drawn.");
        }
        return figures;
    }

    /** The word means at one hook point and position on PC1-2, labelled, with the graph's edges. */
    static Plot pca(GraphTrace.Result r, String hook, int at, Color colour) {
        GraphTrace.HookMeasures m = r.hooks().get(hook);
        double[][] coords = m.snapshots().get(at);
        double[] ex = explainedAt(m, at);
        double[][] xy = new double[coords.length][];
        for (int i = 0; i < coords.length; i++) if (coords[i] != null && coords[i].length >= 2) xy[i] = coords[i];
        double fit = valueAt(m, m.spectralR2(), at);
        List<Color> cs = java.util.Collections.nCopies(coords.length, colour);
        return new Plot("Word means on PC1-2 at " + hook + ", position " + at
                + (Double.isNaN(fit) ? "" : String.format(Locale.ROOT, " (R² = %.2f with the spectral embedding)", fit)))
                .x(pcTitle(1, ex), Plot.Scale.LINEAR).y(pcTitle(2, ex), Plot.Scale.LINEAR)
                .edges(xy, r.graph().edges(), Palette.LIGHT_GREY, 1.1)
                .labelledPoints(xy, r.words(), cs, 4.2);
    }

    /** The file name (without extension) of the conflict's figure at {@code hook} and {@code position}. */
    public static String conflictName(String hook, int position) {
        return "pc12_pc34_" + hook.replace('.', '_') + "_t" + position;
    }

    /**
     * The semantic conflict at its clearest hook point and the last position: the day means on PC1-2 and on PC3-4 side
     * by side, each day coloured by its place in the week (neighbouring days in neighbouring colours) and the days
     * joined in the in-context ring's order. Written to {@code dir}; returns the PNG (null when no hook point had four
     * components).
     */
    public static byte[] conflict(Experiments.Conflict c, Path dir) {
        if (c.hook() == null) return null;
        GraphTrace.Result r = c.run();
        int at = r.positions()[r.positions().length - 1];
        GraphTrace.HookMeasures m = r.hooks().get(c.hook());
        double[][] coords = m.snapshots().get(at);
        double[] ex = explainedAt(m, at);
        List<String> week = new ArrayList<>(c.order());
        java.util.Collections.sort(week, java.util.Comparator.comparingInt(d -> Words.DAYS.indexOf(d.toLowerCase(Locale.ROOT))));
        List<Color> colours = new ArrayList<>();
        for (String d : r.words()) colours.add(Palette.cyclic(week.indexOf(d) / 7.0));
        Experiments.Alignment v = c.r2().get(c.hook());
        Plot[] panels = new Plot[2];
        for (int k = 0; k < 2; k++) {
            double[][] xy = new double[coords.length][];
            for (int i = 0; i < coords.length; i++) {
                if (coords[i] != null && coords[i].length >= 2 * k + 2) xy[i] = new double[] {coords[i][2 * k], coords[i][2 * k + 1]};
            }
            String title = k == 0
                    ? String.format(Locale.ROOT, "PC1-2 at %s: the weekly circle (R² = %.2f; in-context ring %.2f)",
                            c.hook(), v.naturalWeekPc12(), v.contextRingPc12())
                    : String.format(Locale.ROOT, "PC3-4 at %s: the in-context ring (R² = %.2f; weekly circle %.2f)",
                            c.hook(), v.contextRingPc34(), v.naturalWeekPc34());
            panels[k] = new Plot(title).x(pcTitle(2 * k + 1, ex), Plot.Scale.LINEAR).y(pcTitle(2 * k + 2, ex), Plot.Scale.LINEAR)
                    .edges(xy, r.graph().edges(), Palette.GREY, 1.2)
                    .labelledPoints(xy, r.words(), colours, 5);
        }
        panels[1].key("in-context ring order", Plot.Style.of(Palette.GREY).width(1.2).marker(Plot.Marker.NONE));
        return Figure.row(Figure.WIDTH, 460, panels).write(dir.resolve(conflictName(c.hook(), at)));
    }

    /** "PC1 (13% of variance)". */
    static String pcTitle(int k, double[] explained) {
        return "PC" + k + (explained.length >= k ? String.format(Locale.ROOT, " (%.0f%% of variance)", 100 * explained[k - 1]) : "");
    }

    private static final String POSITION = "context position (tokens, log scale)";
    private static final Plot.Marker[] MARKERS = {Plot.Marker.CIRCLE, Plot.Marker.SQUARE, Plot.Marker.TRIANGLE,
        Plot.Marker.DIAMOND};

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

    private static void add(Map<String, byte[]> figures, Path dir, String name, Figure figure, String caption) {
        figures.put(caption, figure.write(dir.resolve(name)));
    }

    /** The value of a per-position measure at {@code position} (NaN if it was not measured there). */
    static double valueAt(GraphTrace.HookMeasures m, double[] values, int position) {
        for (int k = 0; k < m.positions().length; k++) if (m.positions()[k] == position) return values[k];
        return Double.NaN;
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
