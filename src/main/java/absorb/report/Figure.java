package absorb.report;

import java.util.List;

/**
 * A figure: one {@link Plot}, or several side by side with the same panel size, written as PNG (at twice its size in
 * pixels, for high-density screens; HTML shows it at its size) and as SVG. Sizes are in CSS pixels, the size the
 * report shows the figure at, so that its text is as large on the page as it was drawn.
 */
public final class Figure extends Drawing {
    /** A single panel's size on the page: two fit side by side in the report. */
    public static final int WIDTH = 520, HEIGHT = 350;

    private final List<Plot> panels;
    private final int panelWidth, panelHeight;

    private Figure(List<Plot> panels, int panelWidth, int panelHeight) {
        this.panels = List.copyOf(panels);
        this.panelWidth = panelWidth;
        this.panelHeight = panelHeight;
    }

    public static Figure of(Plot plot) {
        return new Figure(List.of(plot), WIDTH, HEIGHT);
    }

    public static Figure of(Plot plot, int width, int height) {
        return new Figure(List.of(plot), width, height);
    }

    /** Panels side by side, each {@code panelWidth} x {@code panelHeight}. */
    public static Figure row(int panelWidth, int panelHeight, Plot... plots) {
        return new Figure(List.of(plots), panelWidth, panelHeight);
    }

    @Override
    public int width() {
        return panelWidth * panels.size();
    }

    @Override
    public int height() {
        return panelHeight;
    }

    @Override
    void draw(Canvas c) {
        for (int i = 0; i < panels.size(); i++) panels.get(i).draw(c, i * panelWidth, 0, panelWidth, panelHeight);
    }

    /** The width a PNG of a figure is shown at: its width in pixels over {@link Canvas#PNG_SCALE}. */
    public static int displayWidth(byte[] png) {
        return pngWidth(png) / Canvas.PNG_SCALE;
    }

    /** The width recorded in a PNG's header (the IHDR chunk right after the signature), or 0 if it has none. */
    static int pngWidth(byte[] png) {
        if (png.length < 24 || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R') return 0;
        return ((png[16] & 0xff) << 24) | ((png[17] & 0xff) << 16) | ((png[18] & 0xff) << 8) | (png[19] & 0xff);
    }
}
