package absorb.report;

import absorb.report.Canvas.Align;
import absorb.report.Canvas.Pen;
import absorb.report.Canvas.Text;
import java.awt.Color;
import java.util.List;
import java.util.Locale;

/**
 * A heat map: one cell per row and column (layer x head, layer x position) shaded by its value on a fixed range, the
 * value printed in the cell when there is room, blank cells where there is no value (NaN); a colour bar on the right.
 * Sequential shading from viridis, so that the order of values survives colour blindness and grey printing.
 */
public final class HeatMap extends Drawing {
    private static final Color INK = new Color(0x222222);
    private final String title, xTitle, yTitle;
    private final List<String> columns, rows;
    private final double[][] values;
    private final double min, max;

    /** {@code values[row][column]} on the range [min, max]. */
    public HeatMap(String title, String xTitle, String yTitle, List<String> columns, List<String> rows, double[][] values,
            double min, double max) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
        this.columns = List.copyOf(columns);
        this.rows = List.copyOf(rows);
        this.values = values;
        this.min = min;
        this.max = max;
    }

    private static final double CELL_W = 40, CELL_H = 28, LEFT = 64, TOP = 40, BAR = 70, BOTTOM = 48;

    @Override
    public int width() {
        return (int) Math.ceil(LEFT + CELL_W * columns.size() + BAR + 12);
    }

    @Override
    public int height() {
        return (int) Math.ceil(TOP + CELL_H * rows.size() + BOTTOM);
    }

    /** The value's shade: viridis from dark (min) to light (max). */
    Color shade(double v) {
        double t = max > min ? (v - min) / (max - min) : 0;
        return Palette.sequential(Math.max(0, Math.min(1, t)));
    }

    @Override
    void draw(Canvas c) {
        c.text(title, width() / 2.0, 22, Plot.TITLE, true, Align.MIDDLE, INK, 0);
        boolean printed = columns.size() <= 24;
        for (int r = 0; r < rows.size(); r++) {
            double y = TOP + CELL_H * r;
            c.text(rows.get(r), LEFT - 6, y + CELL_H / 2 + Text.ascent(Plot.TICK) / 2 - 1, Plot.TICK, false, Align.END, INK, 0);
            for (int k = 0; k < columns.size(); k++) {
                double x = LEFT + CELL_W * k, v = values[r][k];
                if (Double.isNaN(v)) {
                    c.rect(x, y, CELL_W, CELL_H, Color.WHITE, Pen.solid(new Color(0xEBEBEB), 0.8));
                    continue;
                }
                Color fill = shade(v);
                c.rect(x, y, CELL_W, CELL_H, fill, Pen.solid(Color.WHITE, 0.8));
                if (printed) {
                    double light = (0.299 * fill.getRed() + 0.587 * fill.getGreen() + 0.114 * fill.getBlue()) / 255;
                    c.text(String.format(Locale.ROOT, "%.2f", v), x + CELL_W / 2, y + CELL_H / 2 + Text.ascent(10) / 2 - 1,
                            10, false, Align.MIDDLE, light > 0.55 ? INK : Color.WHITE, 0);
                }
            }
        }
        double bottom = TOP + CELL_H * rows.size();
        for (int k = 0; k < columns.size(); k++) {
            c.text(columns.get(k), LEFT + CELL_W * (k + 0.5), bottom + 4 + Text.ascent(Plot.TICK), Plot.TICK, false,
                    Align.MIDDLE, INK, 0);
        }
        c.text(xTitle, LEFT + CELL_W * columns.size() / 2, bottom + 8 + Text.ascent(Plot.TICK) + Text.height(Plot.AXIS_TITLE),
                Plot.AXIS_TITLE, false, Align.MIDDLE, INK, 0);
        c.text(yTitle, 16, TOP + CELL_H * rows.size() / 2, Plot.AXIS_TITLE, false, Align.MIDDLE, INK, -90);
        // the colour bar
        double bx = LEFT + CELL_W * columns.size() + 16, bh = Math.max(CELL_H * rows.size(), 60);
        int steps = 40;
        for (int i = 0; i < steps; i++) {
            double v = max - (max - min) * (i + 0.5) / steps;
            c.rect(bx, TOP + bh * i / steps, 14, bh / steps + 0.5, shade(v), null);
        }
        c.text(String.format(Locale.ROOT, "%.2g", max), bx + 18, TOP + Text.ascent(Plot.TICK), Plot.TICK, false, Align.START,
                INK, 0);
        c.text(String.format(Locale.ROOT, "%.2g", min), bx + 18, TOP + bh, Plot.TICK, false, Align.START, INK, 0);
    }
}
