package absorb.report;

import absorb.io.AtomicFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What a figure of the report is as files: drawn once onto a PNG canvas (at {@link Canvas#PNG_SCALE} times its size)
 * and once as SVG, both at its size in CSS pixels. {@link Figure} and {@link HeatMap} say how they draw.
 */
abstract class Drawing {
    public abstract int width();

    public abstract int height();

    abstract void draw(Canvas c);

    public final byte[] png() {
        Canvas.Png c = new Canvas.Png(width(), height());
        draw(c);
        return c.bytes();
    }

    public final String svg() {
        Canvas.Svg c = new Canvas.Svg(width(), height());
        draw(c);
        return c.document();
    }

    /** Writes {@code base}.png and {@code base}.svg; returns the PNG. */
    public final byte[] write(Path base) {
        byte[] png = writePng(base);
        byte[] svg = svg().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(base.resolveSibling(base.getFileName() + ".svg"), out -> out.write(svg));
        return png;
    }

    /** Writes {@code base}.png only; returns it. */
    public final byte[] writePng(Path base) {
        byte[] png = png();
        AtomicFile.write(base.resolveSibling(base.getFileName() + ".png"), out -> out.write(png));
        return png;
    }
}
