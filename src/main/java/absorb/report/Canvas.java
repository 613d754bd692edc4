package absorb.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.font.LineMetrics;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * What a figure is drawn with: lines, polygons, circles, rectangles and text, in figure pixels (y down). One drawing
 * goes to a PNG (Java2D, at {@link #PNG_SCALE} pixels per figure pixel, so that it stays sharp on a high-density
 * screen) and to an SVG written element by element; text is measured once, with the same font, for both.
 */
interface Canvas {
    /** PNG pixels per figure pixel. */
    int PNG_SCALE = 2;

    /** A stroke: colour, width, and a dash pattern (null: solid). */
    record Pen(Color colour, double width, double[] dash) {
        static Pen solid(Color c, double width) {
            return new Pen(c, width, null);
        }

        static Pen dashed(Color c, double width) {
            return new Pen(c, width, new double[] {5, 3});
        }

        static Pen dotted(Color c, double width) {
            return new Pen(c, width, new double[] {1.5, 2.5});
        }
    }

    enum Align { START, MIDDLE, END }

    void polyline(double[] x, double[] y, Pen pen);

    /** A closed polygon, filled with {@code fill} (null: none) and outlined with {@code pen} (null: none). */
    void polygon(double[] x, double[] y, Color fill, Pen pen);

    void circle(double cx, double cy, double r, Color fill, Pen pen);

    void rect(double x, double y, double w, double h, Color fill, Pen pen);

    /** Text whose baseline starts, centres or ends at (x, y); rotated by {@code degrees} about that point. */
    void text(String s, double x, double y, double size, boolean bold, Align align, Color colour, double degrees);

    /** Clips what follows to a rectangle until {@link #unclip}. */
    void clip(double x, double y, double w, double h);

    void unclip();

    default void line(double x1, double y1, double x2, double y2, Pen pen) {
        polyline(new double[] {x1, x2}, new double[] {y1, y2}, pen);
    }

    /** Text sizes, measured with the font both outputs use. */
    final class Text {
        /** The SVG's font list: DejaVu Sans (Java's sans-serif font here) first, then faces of similar width. */
        static final String SVG_FAMILY = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif";
        private static final FontRenderContext FRC = new FontRenderContext(null, true, true);

        private Text() {}

        static Font font(double size, boolean bold) {
            return new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) size);
        }

        static double width(String s, double size, boolean bold) {
            return font(size, bold).getStringBounds(s, FRC).getWidth();
        }

        static double ascent(double size) {
            return metrics(size).getAscent();
        }

        static double descent(double size) {
            return metrics(size).getDescent();
        }

        /** The height of one line of text. */
        static double height(double size) {
            return ascent(size) + descent(size);
        }

        private static LineMetrics metrics(double size) {
            return font(size, false).getLineMetrics("Hg", FRC);
        }
    }

    /** Java2D onto an image with a white background. */
    final class Png implements Canvas {
        static {
            System.setProperty("java.awt.headless", "true");
        }

        private final BufferedImage image;
        private final Graphics2D g;

        Png(int width, int height) {
            image = new BufferedImage(width * PNG_SCALE, height * PNG_SCALE, BufferedImage.TYPE_INT_RGB);
            g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.scale(PNG_SCALE, PNG_SCALE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
        }

        private void stroke(Pen p) {
            g.setColor(p.colour());
            g.setStroke(p.dash() == null ? new BasicStroke((float) p.width(), BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND)
                    : new BasicStroke((float) p.width(), BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10,
                            toFloat(p.dash()), 0));
        }

        private static float[] toFloat(double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }

        private static Path2D path(double[] x, double[] y, boolean close) {
            Path2D.Double p = new Path2D.Double();
            p.moveTo(x[0], y[0]);
            for (int i = 1; i < x.length; i++) p.lineTo(x[i], y[i]);
            if (close) p.closePath();
            return p;
        }

        @Override
        public void polyline(double[] x, double[] y, Pen pen) {
            if (x.length < 2) return;
            stroke(pen);
            g.draw(x.length == 2 ? new Line2D.Double(x[0], y[0], x[1], y[1]) : path(x, y, false));
        }

        @Override
        public void polygon(double[] x, double[] y, Color fill, Pen pen) {
            Path2D p = path(x, y, true);
            if (fill != null) {
                g.setColor(fill);
                g.fill(p);
            }
            if (pen != null) {
                stroke(pen);
                g.draw(p);
            }
        }

        @Override
        public void circle(double cx, double cy, double r, Color fill, Pen pen) {
            Ellipse2D e = new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            if (fill != null) {
                g.setColor(fill);
                g.fill(e);
            }
            if (pen != null) {
                stroke(pen);
                g.draw(e);
            }
        }

        @Override
        public void rect(double x, double y, double w, double h, Color fill, Pen pen) {
            Rectangle2D r = new Rectangle2D.Double(x, y, w, h);
            if (fill != null) {
                g.setColor(fill);
                g.fill(r);
            }
            if (pen != null) {
                stroke(pen);
                g.draw(r);
            }
        }

        @Override
        public void text(String s, double x, double y, double size, boolean bold, Align align, Color colour, double degrees) {
            Font f = Text.font(size, bold);
            double w = Text.width(s, size, bold);
            double dx = align == Align.START ? 0 : align == Align.MIDDLE ? -w / 2 : -w;
            AffineTransform saved = g.getTransform();
            g.translate(x, y);
            if (degrees != 0) g.rotate(Math.toRadians(degrees));
            g.setFont(f);
            g.setColor(colour);
            g.drawString(s, (float) dx, 0f);
            g.setTransform(saved);
        }

        @Override
        public void clip(double x, double y, double w, double h) {
            g.setClip(new Rectangle2D.Double(x, y, w, h));
        }

        @Override
        public void unclip() {
            g.setClip(null);
        }

        byte[] bytes() {
            g.dispose();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                ImageIO.write(image, "png", out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return out.toByteArray();
        }
    }

    /** SVG 1.1, one element per drawing call. */
    final class Svg implements Canvas {
        private final StringBuilder out = new StringBuilder();
        private final int width, height;
        private int clips;
        private boolean clipped;

        Svg(int width, int height) {
            this.width = width;
            this.height = height;
        }

        private static String n(double v) {
            String s = String.format(Locale.ROOT, "%.2f", v);
            return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
        }

        private static String points(double[] x, double[] y) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < x.length; i++) s.append(i == 0 ? "" : " ").append(n(x[i])).append(',').append(n(y[i]));
            return s.toString();
        }

        private static String stroke(Pen p) {
            if (p == null) return " stroke=\"none\"";
            StringBuilder s = new StringBuilder(" stroke=\"" + Palette.hex(p.colour()) + "\" stroke-width=\"" + n(p.width())
                    + "\" stroke-linejoin=\"round\"");
            if (p.dash() != null) {
                s.append(" stroke-dasharray=\"");
                for (int i = 0; i < p.dash().length; i++) s.append(i == 0 ? "" : ",").append(n(p.dash()[i]));
                s.append('"');
            }
            return s.toString();
        }

        private static String fill(Color c) {
            return " fill=\"" + (c == null ? "none" : Palette.hex(c)) + "\"";
        }

        @Override
        public void polyline(double[] x, double[] y, Pen pen) {
            if (x.length < 2) return;
            out.append("<polyline points=\"").append(points(x, y)).append('"').append(fill(null)).append(stroke(pen))
                    .append("/>\n");
        }

        @Override
        public void polygon(double[] x, double[] y, Color fill, Pen pen) {
            out.append("<polygon points=\"").append(points(x, y)).append('"').append(fill(fill)).append(stroke(pen))
                    .append("/>\n");
        }

        @Override
        public void circle(double cx, double cy, double r, Color fill, Pen pen) {
            out.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
                    .append('"').append(fill(fill)).append(stroke(pen)).append("/>\n");
        }

        @Override
        public void rect(double x, double y, double w, double h, Color fill, Pen pen) {
            out.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                    .append("\" height=\"").append(n(h)).append('"').append(fill(fill)).append(stroke(pen)).append("/>\n");
        }

        @Override
        public void text(String s, double x, double y, double size, boolean bold, Align align, Color colour, double degrees) {
            String anchor = align == Align.START ? "start" : align == Align.MIDDLE ? "middle" : "end";
            out.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"").append(n(size))
                    .append('"').append(bold ? " font-weight=\"bold\"" : "").append(" text-anchor=\"").append(anchor)
                    .append("\" fill=\"").append(Palette.hex(colour)).append('"');
            if (degrees != 0) out.append(" transform=\"rotate(").append(n(degrees)).append(' ').append(n(x)).append(' ')
                    .append(n(y)).append(")\"");
            out.append('>').append(HtmlReport.escape(s)).append("</text>\n");
        }

        @Override
        public void clip(double x, double y, double w, double h) {
            unclip();
            String id = "clip" + clips++;
            out.append("<clipPath id=\"").append(id).append("\"><rect x=\"").append(n(x)).append("\" y=\"").append(n(y))
                    .append("\" width=\"").append(n(w)).append("\" height=\"").append(n(h)).append("\"/></clipPath>\n")
                    .append("<g clip-path=\"url(#").append(id).append(")\">\n");
            clipped = true;
        }

        @Override
        public void unclip() {
            if (clipped) out.append("</g>\n");
            clipped = false;
        }

        String document() {
            unclip();
            return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
                    + " width=\"" + width + "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " + height + "\""
                    + " font-family=\"" + Text.SVG_FAMILY + "\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
                    + out + "</svg>\n";
        }
    }
}
