package absorb.report;

import absorb.AbsorbException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Line and scatter charts written as PNG and SVG (XChart), with one plain style for every figure absorb draws. */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** A named series of points. */
    public record Series(String name, double[] x, double[] y) {}

    private Charts() {}

    public static XYChart chart(String title, String xLabel, String yLabel, int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        Styler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        s.setAntiAlias(true);
        return chart;
    }

    /** Lines, one per series; {@code logX} puts the x axis on a log scale. */
    public static XYChart lines(String title, String xLabel, String yLabel, List<Series> series, boolean logX) {
        XYChart chart = chart(title, xLabel, yLabel, 720, 440);
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setLegendVisible(series.size() > 1);
        for (Series s : series) {
            XYSeries xy = chart.addSeries(s.name(), s.x(), s.y());
            xy.setMarker(s.x().length <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            xy.setLineStyle(new BasicStroke(1.8f));
        }
        return chart;
    }

    /** A vertical marker line at x, such as a critical context size. */
    public static void verticalLine(XYChart chart, double x) {
        chart.addAnnotation(new org.knowm.xchart.AnnotationLine(x, true, false));
    }

    /**
     * Points labelled with their names, with a line for each edge (i, j): the shape a representation draws. Rows of
     * {@code xy} that are null are left out.
     */
    public static XYChart graphScatter(String title, String xLabel, String yLabel, double[][] xy, List<String> labels,
            int[][] edges) {
        XYChart chart = chart(title, xLabel, yLabel, 600, 560);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisDecimalPattern("0.###");
        chart.getStyler().setYAxisDecimalPattern("0.###");
        chart.getStyler().setMarkerSize(9);
        int k = 0;
        for (int[] e : edges) {
            double[] a = xy[e[0]], b = xy[e[1]];
            if (a == null || b == null) continue;
            XYSeries line = chart.addSeries("edge " + k++, new double[] {a[0], b[0]}, new double[] {a[1], b[1]});
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(new Color(150, 150, 150));
            line.setLineStyle(new BasicStroke(1.2f));
        }
        List<Double> xs = new java.util.ArrayList<>(), ys = new java.util.ArrayList<>();
        for (int i = 0; i < xy.length; i++) {
            if (xy[i] == null) continue;
            xs.add(xy[i][0]);
            ys.add(xy[i][1]);
            chart.addAnnotation(new org.knowm.xchart.AnnotationText(labels.get(i), xy[i][0], xy[i][1], false));
        }
        if (!xs.isEmpty()) {
            XYSeries points = chart.addSeries("words", xs, ys);
            points.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            points.setMarker(SeriesMarkers.CIRCLE);
            points.setMarkerColor(new Color(31, 119, 180));
        }
        return chart;
    }

    /** The chart as PNG bytes (for embedding in a self-contained HTML report). */
    public static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code chart} to {@code base}.png (and {@code base}.svg when {@code svg}). */
    public static void write(XYChart chart, Path base, boolean svg) {
        try {
            Files.createDirectories(base.toAbsolutePath().getParent());
            String name = base.toString();
            BitmapEncoder.saveBitmapWithDPI(chart, name + ".png", BitmapEncoder.BitmapFormat.PNG, 120);
            if (svg) VectorGraphicsEncoder.saveVectorGraphic(chart, name + ".svg", VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write the figure " + base + ": " + e.getMessage() + ".");
        }
    }
}
