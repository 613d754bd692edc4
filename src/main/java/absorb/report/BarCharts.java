package absorb.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;

/**
 * Accuracies of several series (conditions, protocols) by group (a domain, a fine-tuning), drawn as dots with their
 * 95% intervals: each group at its own named place along x, the series side by side within it, one colour and marker
 * per series.
 */
public final class BarCharts {
    /** One series: its value in each group and the half-widths of their intervals (null: none). */
    public record Bars(String name, double[] values, double[] errors) {}

    private static final Plot.Marker[] MARKERS = {Plot.Marker.CIRCLE, Plot.Marker.SQUARE, Plot.Marker.DIAMOND,
        Plot.Marker.TRIANGLE};

    private BarCharts() {}

    /** The dot chart of {@code series} over {@code groups}, accuracy from 0 to 1 on y. */
    public static Figure grouped(String title, String yLabel, List<String> groups, List<Bars> series) {
        Plot p = new Plot(title).x("", Plot.Scale.LINEAR).y(yLabel, Plot.Scale.LINEAR).yRange(0, 1.0).xCategories(groups);
        double spread = Math.min(0.6, 0.18 * series.size());
        for (int s = 0; s < series.size(); s++) {
            Bars b = series.get(s);
            Color colour = Palette.CATEGORICAL.get(s % Palette.CATEGORICAL.size());
            double offset = series.size() == 1 ? 0 : -spread / 2 + spread * s / (series.size() - 1);
            double[] x = new double[groups.size()];
            for (int g = 0; g < x.length; g++) x[g] = g + 1 + offset;
            p.points(b.name(), x, b.values(), Plot.Style.of(colour).marker(MARKERS[s % MARKERS.length]).radius(3.6));
            if (b.errors() == null) continue;
            List<double[]> ends = new ArrayList<>();
            List<int[]> pairs = new ArrayList<>();
            for (int g = 0; g < x.length; g++) {
                if (!Double.isFinite(b.values()[g]) || !Double.isFinite(b.errors()[g])) continue;
                ends.add(new double[] {x[g], Math.max(0, b.values()[g] - b.errors()[g])});
                ends.add(new double[] {x[g], Math.min(1, b.values()[g] + b.errors()[g])});
                pairs.add(new int[] {ends.size() - 2, ends.size() - 1});
            }
            p.edges(ends.toArray(double[][]::new), pairs.toArray(int[][]::new), colour, 1.4);
        }
        return Figure.of(p, 760, 380);
    }
}
