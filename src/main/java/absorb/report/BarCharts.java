package absorb.report;

import absorb.AbsorbException;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;

/** Grouped bar charts with error bars: accuracies of several conditions, by group (a domain, a protocol). */
public final class BarCharts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One bar per group: its values and the half-widths of their error bars (null: none). */
    public record Bars(String name, double[] values, double[] errors) {}

    /** Okabe and Ito's colour-blind-safe palette. */
    static final Color[] PALETTE = {new Color(0, 114, 178), new Color(230, 159, 0), new Color(0, 158, 115),
        new Color(204, 121, 167), new Color(86, 180, 233), new Color(213, 94, 0), new Color(240, 228, 66),
        new Color(0, 0, 0)};

    private BarCharts() {}

    /** Bars of each series side by side over {@code groups}, legend outside the plot (below it). */
    public static CategoryChart grouped(String title, String yLabel, List<String> groups, List<Bars> series) {
        CategoryChart chart = new CategoryChartBuilder().width(860).height(460).title(title).yAxisTitle(yLabel).build();
        Styler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        s.setAntiAlias(true);
        s.setSeriesColors(PALETTE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setYAxisDecimalPattern("0.0");
        for (Bars b : series) {
            List<Double> v = java.util.Arrays.stream(b.values()).map(x -> Double.isNaN(x) ? 0 : x).boxed().toList();
            CategorySeries cs = b.errors() != null
                    ? chart.addSeries(b.name(), groups, v, java.util.Arrays.stream(b.errors())
                            .map(x -> Double.isNaN(x) ? 0 : x).boxed().toList())
                    : chart.addSeries(b.name(), groups, v);
            cs.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Bar);
        }
        return chart;
    }

    public static byte[] png(CategoryChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code chart} to {@code base}.png and {@code base}.svg. */
    public static void write(CategoryChart chart, Path base) {
        try {
            Files.createDirectories(base.toAbsolutePath().getParent());
            BitmapEncoder.saveBitmapWithDPI(chart, base + ".png", BitmapEncoder.BitmapFormat.PNG, 120);
            VectorGraphicsEncoder.saveVectorGraphic(chart, base + ".svg", VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write the figure " + base + ": " + e.getMessage() + ".");
        }
    }
}
