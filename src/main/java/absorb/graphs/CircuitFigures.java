package absorb.graphs;

import absorb.AbsorbException;
import absorb.report.Charts;
import absorb.report.HtmlReport;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * The figures of the circuit experiments (head scores, ablation, patching, neighbour mixing): heat maps of a value per
 * layer and head (or position), curves drawn with {@link Charts}, each written as PNG and SVG into the run folder and
 * returned for the report, with its caption.
 */
public final class CircuitFigures {
    private CircuitFigures() {}

    /**
     * A heat map of {@code values[row][column]} with the value printed in each cell; NaN cells are left blank.
     */
    public static HeatMapChart heatMap(String title, String xLabel, String yLabel, List<String> columns, List<String> rows,
            double[][] values, double min, double max) {
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(420, 90 + 56 * columns.size()))
                .height(Math.max(300, 140 + 44 * rows.size())).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        var s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setChartTitleFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 14));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setShowValue(columns.size() <= 24);
        s.setHeatMapValueDecimalPattern("0.00");
        s.setValueFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 11));
        s.setMin(min);
        s.setMax(max);
        s.setRangeColors(new Color[] {new Color(247, 251, 255), new Color(107, 174, 214), new Color(8, 48, 107)});
        s.setAntiAlias(true);
        List<Number[]> cells = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns.size(); c++) {
                double v = values[r][c];
                if (!Double.isNaN(v)) cells.add(new Number[] {c, r, v});
            }
        }
        chart.addSeries("values", columns, rows, cells);
        return chart;
    }

    /** A layer x head heat map of scores in [0, 1]. */
    public static HeatMapChart headMap(String title, double[][] scores, double max) {
        List<String> heads = new ArrayList<>(), layers = new ArrayList<>();
        for (int h = 0; h < scores[0].length; h++) heads.add(String.valueOf(h));
        for (int l = 0; l < scores.length; l++) layers.add(String.valueOf(l));
        return heatMap(title, "head", "layer", heads, layers, scores, 0, max);
    }

    /** Writes {@code chart} to {@code base}.png and .svg and returns the PNG. */
    public static byte[] write(Chart<?, ?> chart, Path base) {
        try {
            Files.createDirectories(base.toAbsolutePath().getParent());
            BitmapEncoder.saveBitmapWithDPI(chart, base + ".png", BitmapEncoder.BitmapFormat.PNG, 120);
            VectorGraphicsEncoder.saveVectorGraphic(chart, base + ".svg", VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write the figure " + base + ": " + e.getMessage() + ".");
        }
    }

    /** Writes an XY chart (PNG and SVG) and returns its PNG. */
    public static byte[] write(XYChart chart, Path base) {
        Charts.write(chart, base, true);
        return Charts.png(chart);
    }

    /** The head-score heat maps (one per score and sequence kind) into {@code dir}, by caption. */
    public static Map<String, byte[]> heads(HeadScores.Report r, Path dir) {
        Map<String, byte[]> figures = new LinkedHashMap<>();
        for (HeadScores.Scores s : r.all()) {
            String kind = s == r.repeated() ? "repeated" : "walks";
            figures.put("Induction score per head on " + s.sequences() + ": mean attention from a token to the token"
                    + " after its previous occurrence.", write(headMap("Induction score (" + kind + ")", s.induction(),
                    1), dir.resolve("induction_" + kind)));
            figures.put("Previous-token score per head on " + s.sequences() + ": mean attention to the position"
                    + " before.", write(headMap("Previous-token score (" + kind + ")", s.previous(), 1),
                    dir.resolve("previous_" + kind)));
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
}
