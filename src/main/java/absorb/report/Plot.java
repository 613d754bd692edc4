package absorb.report;

import absorb.report.Canvas.Align;
import absorb.report.Canvas.Pen;
import absorb.report.Canvas.Text;
import absorb.report.Placement.Box;
import absorb.report.Placement.Segment;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One panel of a figure: lines, points (labelled or not), edges between points, reference lines and marked points
 * on a linear or log axis pair, with a title, axis titles and a legend. It lays itself out when drawn: ticks from
 * {@link Ticks}, the legend in a corner the data leave empty or else outside on the right, text labels beside their
 * markers without covering a marker or each other ({@link Placement}). Built by chained calls; drawn by a
 * {@link Figure}.
 */
public final class Plot {
    public enum Scale { LINEAR, LOG }

    public enum Marker { NONE, CIRCLE, SQUARE, TRIANGLE, DIAMOND }

    /**
     * How a series is drawn: colour, line width (0: no line), dashed or solid, marker shape and radius, markers open
     * (outlines) or filled.
     */
    public record Style(Color colour, double width, boolean dash, Marker marker, double radius, boolean open) {
        public static Style of(Color colour) {
            return new Style(colour, 1.6, false, Marker.CIRCLE, 2.6, false);
        }

        public Style dashed() {
            return new Style(colour, width, true, marker, radius, open);
        }

        public Style width(double w) {
            return new Style(colour, w, dash, marker, radius, open);
        }

        public Style marker(Marker m) {
            return new Style(colour, width, dash, m, radius, open);
        }

        public Style radius(double r) {
            return new Style(colour, width, dash, marker, r, open);
        }

        /** Markers drawn as outlines (white inside). */
        public Style hollow() {
            return new Style(colour, width, dash, marker, radius, true);
        }

        Pen pen() {
            return dash ? Pen.dashed(colour, width) : Pen.solid(colour, width);
        }
    }

    static final double TITLE = 13, AXIS_TITLE = 12, TICK = 11, LEGEND = 11, NOTE = 11;
    private static final Color INK = new Color(0x222222), GRID = new Color(0xEBEBEB), AXIS = new Color(0x444444);
    private static final double PAD = 8, TICK_MAJOR = 4.5, TICK_MINOR = 2.5, SWATCH = 22;

    private record Series(String name, double[] x, double[] y, Style style, boolean joined) {}

    private record Labelled(double[] x, double[] y, List<String> labels, List<Color> colours, double radius) {}

    private record Edge(double x1, double y1, double x2, double y2, Pen pen) {}

    private record Rule(boolean vertical, double at, String label, Pen pen) {}

    private record Mark(double x, double y, String label, Color colour) {}

    /** A placed text label; {@code leader}: a line joins it to the edge of its marker (radius r at ax, ay). */
    private record Note(String text, Box box, Color colour, boolean leader, double ax, double ay, double r) {}

    private final String title;
    private String xTitle = "", yTitle = "";
    private Scale xScale = Scale.LINEAR, yScale = Scale.LINEAR;
    private double xMin = Double.NaN, xMax = Double.NaN, yMin = Double.NaN, yMax = Double.NaN;
    private final List<Series> series = new ArrayList<>();
    private final List<Labelled> labelled = new ArrayList<>();
    private final List<Edge> edges = new ArrayList<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<Mark> marks = new ArrayList<>();
    private List<String> xCategories;

    public Plot(String title) {
        this.title = title;
    }

    public Plot x(String axisTitle, Scale scale) {
        xTitle = axisTitle;
        xScale = scale;
        return this;
    }

    public Plot y(String axisTitle, Scale scale) {
        yTitle = axisTitle;
        yScale = scale;
        return this;
    }

    /** An x axis of named places instead of numbers: category i (0-based) sits at x = i + 1. */
    public Plot xCategories(List<String> names) {
        xCategories = List.copyOf(names);
        xMin = 0.4;
        xMax = names.size() + 0.6;
        return this;
    }

    /** Fixes the x range (NaN for either end: from the data). */
    public Plot xRange(double lo, double hi) {
        xMin = lo;
        xMax = hi;
        return this;
    }

    /** Fixes the y range (NaN for either end: from the data). */
    public Plot yRange(double lo, double hi) {
        yMin = lo;
        yMax = hi;
        return this;
    }

    /** A line through the points in order (broken where y is NaN), with markers as the style says; named in the legend. */
    public Plot line(String name, double[] x, double[] y, Style style) {
        series.add(new Series(name, x.clone(), y.clone(), style, true));
        return this;
    }

    /** An entry of the legend that stands for no series of its own (a colour key, the style of the edges). */
    public Plot key(String name, Style style) {
        series.add(new Series(name, new double[0], new double[0], style, style.width() > 0));
        return this;
    }

    /** Unjoined markers; named in the legend unless {@code name} is null. */
    public Plot points(String name, double[] x, double[] y, Style style) {
        series.add(new Series(name, x.clone(), y.clone(), style.width(0), false));
        return this;
    }

    /**
     * Markers each with its own colour and a text label placed beside it (rows of {@code xy} that are null are left
     * out): the words of a representation, the points of a sweep.
     */
    public Plot labelledPoints(double[][] xy, List<String> labels, List<Color> colours, double radius) {
        List<double[]> keep = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Color> cs = new ArrayList<>();
        for (int i = 0; i < xy.length; i++) {
            if (xy[i] == null) continue;
            keep.add(xy[i]);
            names.add(labels.get(i));
            cs.add(colours.get(i));
        }
        labelled.add(new Labelled(keep.stream().mapToDouble(p -> p[0]).toArray(),
                keep.stream().mapToDouble(p -> p[1]).toArray(), names, cs, radius));
        return this;
    }

    /** A line from point i to point j of {@code xy} for every pair (i, j) whose rows are not null. */
    public Plot edges(double[][] xy, int[][] pairs, Color colour, double width) {
        for (int[] e : pairs) {
            double[] a = xy[e[0]], b = xy[e[1]];
            if (a != null && b != null) edges.add(new Edge(a[0], a[1], b[0], b[1], Pen.solid(colour, width)));
        }
        return this;
    }

    /** A dashed vertical line at x, labelled (such as a critical context t*). */
    public Plot vertical(double x, String label) {
        if (Double.isFinite(x)) rules.add(new Rule(true, x, label, Pen.dashed(Palette.GREY, 1.1)));
        return this;
    }

    /** A dotted horizontal line at y, labelled (such as chance level). */
    public Plot horizontal(double y, String label) {
        if (Double.isFinite(y)) rules.add(new Rule(false, y, label, Pen.dotted(Palette.GREY, 1.3)));
        return this;
    }

    /** A ring around the point (x, y) with a label beside it (such as a minimum). */
    public Plot mark(double x, double y, String label, Color colour) {
        if (Double.isFinite(x) && Double.isFinite(y)) marks.add(new Mark(x, y, label, colour));
        return this;
    }

    // ---- layout ----

    /** Data range along one axis, padded; log axes keep positive values only. */
    private static double[] range(List<Double> values, Scale scale, double fixedLo, double fixedHi) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (!Double.isFinite(v) || (scale == Scale.LOG && v <= 0)) continue;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (!Double.isNaN(fixedLo)) lo = fixedLo;
        if (!Double.isNaN(fixedHi)) hi = fixedHi;
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) return scale == Scale.LOG ? new double[] {1, 10} : new double[] {0, 1};
        if (scale == Scale.LOG) {
            double a = Math.log10(lo), b = Math.log10(hi);
            if (b - a < 1e-9) {
                a -= 0.5;
                b += 0.5;
            }
            double pad = 0.04 * (b - a);
            return new double[] {Math.pow(10, a - pad), Math.pow(10, b + pad)};
        }
        if (hi - lo < 1e-12) {
            double d = Math.max(Math.abs(lo) * 0.1, 0.5);
            lo -= d;
            hi += d;
        }
        double pad = 0.04 * (hi - lo);
        return new double[] {lo - (Double.isNaN(fixedLo) ? pad : pad / 2), hi + (Double.isNaN(fixedHi) ? pad : pad / 2)};
    }

    private static double transform(double v, Scale s) {
        return s == Scale.LOG ? (v > 0 ? Math.log10(v) : Double.NaN) : v;
    }

    /** Where everything goes for one choice of legend position. */
    private final class Layout {
        final double x0, y0, w, h;
        final List<String> titleLines;
        double left, top, right, bottom;
        double[] xr, yr;
        List<Ticks.Tick> xTicks, yTicks;
        final List<Box> markerBoxes = new ArrayList<>();
        final List<Segment> dataLines = new ArrayList<>();
        final List<Box> labelBoxes = new ArrayList<>();
        final List<Note> notes = new ArrayList<>();
        Box legend;
        int legendColumns = 1;
        double xTitleBaseline;
        /** Rows the category names take in turn along x, because on fewer they would touch (1: one row). */
        int labelRows = 1;

        Layout(double x0, double y0, double w, double h, boolean legendOutside) {
            this.x0 = x0;
            this.y0 = y0;
            this.w = w;
            this.h = h;
            titleLines = wrap(title, w - 2 * PAD, TITLE, true);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (Series s : series) {
                for (double v : s.x()) xs.add(v);
                for (double v : s.y()) ys.add(v);
            }
            for (Labelled l : labelled) {
                for (double v : l.x()) xs.add(v);
                for (double v : l.y()) ys.add(v);
            }
            for (Edge e : edges) {
                xs.addAll(List.of(e.x1(), e.x2()));
                ys.addAll(List.of(e.y1(), e.y2()));
            }
            for (Rule r : rules) (r.vertical() ? xs : ys).add(r.at());
            for (Mark m : marks) {
                xs.add(m.x());
                ys.add(m.y());
            }
            xr = range(xs, xScale, xMin, xMax);
            yr = range(ys, yScale, yMin, yMax);
            // outside, the legend goes below the x axis's title, in as many columns as the panel's width takes
            double legendH = 0;
            if (legendOutside) {
                double[] one = legendSize(1);
                legendColumns = (int) Math.max(1, Math.min(entries(), Math.floor((w - 2 * PAD) / one[2])));
                legendH = legendSize(legendColumns)[1] + 6;
            }
            top = y0 + PAD + titleLines.size() * Text.height(TITLE) * 1.15 + 6;
            xTitleBaseline = y0 + h - PAD - legendH - Text.descent(AXIS_TITLE);
            bottom = y0 + h - PAD - legendH - (xTitle.isEmpty() ? 0 : Text.height(AXIS_TITLE) + 4) - Text.height(TICK)
                    - TICK_MAJOR - 3;
            double yTitleW = yTitle.isEmpty() ? 0 : Text.height(AXIS_TITLE) + 6;
            left = x0 + PAD + yTitleW + 40 + TICK_MAJOR + 3;
            right = x0 + w - PAD;
            for (int pass = 0; pass < 2; pass++) {
                yTicks = ticks(yr, yScale, bottom - top, Text.height(TICK), false);
                double widest = 0;
                for (Ticks.Tick t : yTicks) if (t.major()) widest = Math.max(widest, Text.width(t.label(), TICK, false));
                left = x0 + PAD + yTitleW + widest + TICK_MAJOR + 3;
                xTicks = xCategories != null ? categoryTicks() : ticks(xr, xScale, right - left, 0, true);
                double lastHalf = 0;
                for (Ticks.Tick t : xTicks) {
                    if (t.major() && px(t.value()) > right - 30) lastHalf = Math.max(lastHalf, Text.width(t.label(), TICK, false) / 2);
                }
                right = x0 + w - PAD - Math.max(0, lastHalf - PAD + 2);
            }
            labelRows = xCategories == null ? 1 : labelRows();
            bottom -= (labelRows - 1) * (Text.height(TICK) + 2);
            geometry();
            placeLabels();
            double[] ls = legendSize(legendColumns);
            if (ls[1] > 0) {
                Box plot = plotBox();
                if (legendOutside) {
                    legend = new Box(x0 + (w - ls[0]) / 2, y0 + h - PAD - ls[1], ls[0], ls[1]);
                } else {
                    Optional<Placement.Corner> c = Placement.emptyCorner(plot, ls[0], ls[1], 6, 3, allBoxes(), allLines());
                    legend = c.map(k -> Placement.corner(plot, k, ls[0], ls[1], 6)).orElse(null);
                }
            }
        }

        Box plotBox() {
            return new Box(left, top, right - left, bottom - top);
        }

        double px(double v) {
            double a = transform(xr[0], xScale), b = transform(xr[1], xScale);
            return left + (transform(v, xScale) - a) / (b - a) * (right - left);
        }

        double py(double v) {
            double a = transform(yr[0], yScale), b = transform(yr[1], yScale);
            return bottom - (transform(v, yScale) - a) / (b - a) * (bottom - top);
        }

        /** The fewest rows (up to 4) on which x tick labels taken in turn do not touch their neighbours on a row. */
        private int labelRows() {
            int rows = 1;
            for (; rows < 4; rows++) {
                boolean clear = true;
                for (int i = 0; i + rows < xTicks.size() && clear; i++) {
                    Ticks.Tick a = xTicks.get(i), b = xTicks.get(i + rows);
                    double half = (Text.width(a.label(), TICK, false) + Text.width(b.label(), TICK, false)) / 2;
                    clear = half + 8 <= px(b.value()) - px(a.value());
                }
                if (clear) break;
            }
            return rows;
        }

        /** Marker boxes and line segments of the data, in pixels. */
        private void geometry() {
            for (Series s : series) {
                double r = s.style().marker() == Marker.NONE ? 0 : s.style().radius();
                Double lx = null, ly = null;
                for (int i = 0; i < s.x().length; i++) {
                    double x = px(s.x()[i]), y = py(s.y()[i]);
                    if (!Double.isFinite(x) || !Double.isFinite(y)) {
                        lx = null;
                        continue;
                    }
                    if (r > 0) markerBoxes.add(new Box(x - r, y - r, 2 * r, 2 * r));
                    if (s.joined() && s.style().width() > 0 && lx != null) dataLines.add(new Segment(lx, ly, x, y));
                    lx = x;
                    ly = y;
                }
            }
            for (Labelled l : labelled) {
                for (int i = 0; i < l.x().length; i++) {
                    double x = px(l.x()[i]), y = py(l.y()[i]);
                    markerBoxes.add(new Box(x - l.radius(), y - l.radius(), 2 * l.radius(), 2 * l.radius()));
                }
            }
            for (Edge e : edges) dataLines.add(new Segment(px(e.x1()), py(e.y1()), px(e.x2()), py(e.y2())));
            for (Mark m : marks) markerBoxes.add(new Box(px(m.x()) - 6, py(m.y()) - 6, 12, 12));
        }

        List<Segment> ruleLines() {
            List<Segment> out = new ArrayList<>();
            for (Rule r : rules) {
                out.add(r.vertical() ? new Segment(px(r.at()), top, px(r.at()), bottom)
                        : new Segment(left, py(r.at()), right, py(r.at())));
            }
            return out;
        }

        List<Box> allBoxes() {
            List<Box> out = new ArrayList<>(markerBoxes);
            out.addAll(labelBoxes);
            return out;
        }

        List<Segment> allLines() {
            List<Segment> out = new ArrayList<>(dataLines);
            out.addAll(ruleLines());
            return out;
        }

        /** Labels of reference lines, of marks and of labelled points, each clear of the data and of the others. */
        private void placeLabels() {
            Box plot = plotBox().grow(-2);
            double th = Text.height(NOTE);
            for (Rule r : rules) {
                if (r.label() == null || r.label().isEmpty()) continue;
                double tw = Text.width(r.label(), NOTE, false);
                List<Box> c = new ArrayList<>();
                if (r.vertical()) {
                    double x = px(r.at());
                    c.add(new Box(x + 4, top + 3, tw, th));
                    c.add(new Box(x - 4 - tw, top + 3, tw, th));
                    c.add(new Box(x + 4, bottom - 3 - th, tw, th));
                    c.add(new Box(x - 4 - tw, bottom - 3 - th, tw, th));
                } else {
                    double y = py(r.at());
                    c.add(new Box(right - 4 - tw, y - 3 - th, tw, th));
                    c.add(new Box(right - 4 - tw, y + 3, tw, th));
                    c.add(new Box(left + 4, y - 3 - th, tw, th));
                    c.add(new Box(left + 4, y + 3, tw, th));
                }
                Box b = c.get(Placement.best(c, plot, allBoxes(), dataLines));
                labelBoxes.add(b);
                notes.add(new Note(r.label(), b, Palette.GREY, false, 0, 0, 0));
            }
            List<Placement.Label> ls = new ArrayList<>();
            List<String> strings = new ArrayList<>();
            List<Color> colours = new ArrayList<>();
            for (Mark m : marks) {
                if (m.label() == null) continue;
                ls.add(new Placement.Label(px(m.x()), py(m.y()), 6, Text.width(m.label(), NOTE, false), th));
                strings.add(m.label());
                colours.add(INK);
            }
            for (Labelled l : labelled) {
                for (int i = 0; i < l.x().length; i++) {
                    String s = l.labels().get(i);
                    ls.add(new Placement.Label(px(l.x()[i]), py(l.y()[i]), l.radius(), Text.width(s, NOTE, false), th));
                    strings.add(s);
                    colours.add(INK);
                }
            }
            List<Box> avoid = new ArrayList<>(markerBoxes);
            avoid.addAll(labelBoxes);
            List<Placement.Placed> placed = Placement.labels(ls, plot, avoid, allLines());
            for (int i = 0; i < placed.size(); i++) {
                Box b = placed.get(i).box();
                labelBoxes.add(b);
                Placement.Label a = ls.get(i);
                notes.add(new Note(strings.get(i), b, colours.get(i), placed.get(i).leader(), a.ax(), a.ay(), a.radius()));
            }
        }
    }

    private List<Ticks.Tick> categoryTicks() {
        List<Ticks.Tick> out = new ArrayList<>();
        for (int i = 0; i < xCategories.size(); i++) out.add(new Ticks.Tick(i + 1, xCategories.get(i)));
        return out;
    }

    private static List<Ticks.Tick> ticks(double[] r, Scale s, double pixels, double labelHeight, boolean horizontal) {
        if (s == Scale.LOG) {
            return Ticks.log(r[0], r[1], pixels, horizontal ? 10 : 6,
                    label -> horizontal ? Text.width(label, TICK, false) : labelHeight);
        }
        List<Ticks.Tick> t = Ticks.linear(r[0], r[1], Math.max(2, (int) (pixels / (horizontal ? 80 : 45))));
        return t;
    }

    /** How many series the legend names. */
    private int entries() {
        return (int) series.stream().filter(s -> s.name() != null).count();
    }

    /** Width and height of the legend box in {@code columns} columns, and the width of one entry (0s when none). */
    private double[] legendSize(int columns) {
        double w = 0;
        for (Series s : series) if (s.name() != null) w = Math.max(w, Text.width(s.name(), LEGEND, false));
        int n = entries();
        if (n == 0) return new double[] {0, 0, 0};
        double entry = SWATCH + 6 + w + 12;
        int rows = (int) Math.ceil(n / (double) columns);
        return new double[] {columns * entry - 2, rows * rowHeight() + 8, entry};
    }

    private static double rowHeight() {
        return Text.height(LEGEND) + 3;
    }

    /** Words of {@code s} in lines no wider than {@code width}. */
    static List<String> wrap(String s, double width, double size, boolean bold) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : s.split(" ")) {
            String tried = line.length() == 0 ? word : line + " " + word;
            if (line.length() > 0 && Text.width(tried, size, bold) > width) {
                lines.add(line.toString());
                line = new StringBuilder(word);
            } else {
                line = new StringBuilder(tried);
            }
        }
        if (line.length() > 0) lines.add(line.toString());
        return lines;
    }

    /** Whether the legend fits inside the plot in a corner the data leave empty (else it goes to the right). */
    boolean legendInside(double width, double height) {
        Layout l = new Layout(0, 0, width, height, false);
        return l.legend != null || entries() == 0;
    }

    // ---- drawing ----

    /** Draws the panel into the rectangle (x0, y0, w, h) of {@code c}. */
    void draw(Canvas c, double x0, double y0, double w, double h) {
        Layout l = new Layout(x0, y0, w, h, false);
        if (l.legend == null && entries() > 0) l = new Layout(x0, y0, w, h, true);
        double ascent = Text.ascent(TITLE);
        double y = y0 + PAD + ascent;
        for (String line : l.titleLines) {
            c.text(line, x0 + w / 2, y, TITLE, true, Align.MIDDLE, INK, 0);
            y += Text.height(TITLE) * 1.15;
        }
        // grid at the labelled ticks
        for (Ticks.Tick t : l.xTicks) if (t.major()) c.line(l.px(t.value()), l.top, l.px(t.value()), l.bottom, Pen.solid(GRID, 0.8));
        for (Ticks.Tick t : l.yTicks) if (t.major()) c.line(l.left, l.py(t.value()), l.right, l.py(t.value()), Pen.solid(GRID, 0.8));
        c.clip(l.left, l.top, l.right - l.left, l.bottom - l.top);
        for (Edge e : edges) c.line(l.px(e.x1()), l.py(e.y1()), l.px(e.x2()), l.py(e.y2()), e.pen());
        for (Rule r : rules) {
            if (r.vertical()) c.line(l.px(r.at()), l.top, l.px(r.at()), l.bottom, r.pen());
            else c.line(l.left, l.py(r.at()), l.right, l.py(r.at()), r.pen());
        }
        for (Series s : series) if (s.joined() && s.style().width() > 0) drawLine(c, l, s);
        for (Series s : series) {
            if (s.style().marker() == Marker.NONE) continue;
            for (int i = 0; i < s.x().length; i++) {
                double x = l.px(s.x()[i]), yy = l.py(s.y()[i]);
                if (Double.isFinite(x) && Double.isFinite(yy)) marker(c, s.style(), x, yy);
            }
        }
        for (Labelled lp : labelled) {
            for (int i = 0; i < lp.x().length; i++) {
                marker(c, new Style(lp.colours().get(i), 0, false, Marker.CIRCLE, lp.radius(), false), l.px(lp.x()[i]),
                        l.py(lp.y()[i]));
            }
        }
        for (Mark m : marks) c.circle(l.px(m.x()), l.py(m.y()), 6, null, Pen.solid(m.colour(), 1.6));
        c.unclip();
        double noteAscent = Text.ascent(NOTE);
        for (Note n : l.notes) {
            Box b = n.box();
            if (n.leader()) {
                double[] p = b.nearest(n.ax(), n.ay());
                double d = Math.hypot(p[0] - n.ax(), p[1] - n.ay()), k = (n.r() + 1) / Math.max(d, 1e-9);
                c.line(n.ax() + (p[0] - n.ax()) * k, n.ay() + (p[1] - n.ay()) * k, p[0], p[1], Pen.solid(Palette.GREY, 0.7));
            }
            c.text(n.text(), b.x(), b.y() + noteAscent, NOTE, false, Align.START, n.colour(), 0);
        }
        drawAxes(c, l);
        if (l.legend != null) drawLegend(c, l.legend, l.legendColumns);
    }

    private static void drawLine(Canvas c, Layout l, Series s) {
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        Runnable flush = () -> {
            if (xs.size() > 1) {
                c.polyline(xs.stream().mapToDouble(Double::doubleValue).toArray(),
                        ys.stream().mapToDouble(Double::doubleValue).toArray(), s.style().pen());
            }
            xs.clear();
            ys.clear();
        };
        for (int i = 0; i < s.x().length; i++) {
            double x = l.px(s.x()[i]), y = l.py(s.y()[i]);
            if (!Double.isFinite(x) || !Double.isFinite(y)) {
                flush.run();
                continue;
            }
            xs.add(x);
            ys.add(y);
        }
        flush.run();
    }

    /** One marker of {@code style} centred at (x, y): filled with a thin white rim, or hollow. */
    static void marker(Canvas c, Style style, double x, double y) {
        double r = style.radius();
        Color fill = style.open() ? Color.WHITE : style.colour();
        Pen pen = style.open() ? Pen.solid(style.colour(), 1.3) : Pen.solid(Color.WHITE, 0.7);
        switch (style.marker()) {
            case CIRCLE -> c.circle(x, y, r, fill, pen);
            case SQUARE -> c.rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8, fill, pen);
            case TRIANGLE -> c.polygon(new double[] {x, x + r * 1.1, x - r * 1.1}, new double[] {y - r * 1.2, y + r * 0.8,
                y + r * 0.8}, fill, pen);
            case DIAMOND -> c.polygon(new double[] {x, x + r * 1.15, x, x - r * 1.15}, new double[] {y - r * 1.25, y,
                y + r * 1.25, y}, fill, pen);
            case NONE -> { }
        }
    }

    private void drawAxes(Canvas c, Layout l) {
        Pen axis = Pen.solid(AXIS, 1);
        c.line(l.left, l.bottom, l.right, l.bottom, axis);
        c.line(l.left, l.top, l.left, l.bottom, axis);
        double tickAscent = Text.ascent(TICK);
        for (int i = 0; i < l.xTicks.size(); i++) {
            Ticks.Tick t = l.xTicks.get(i);
            double x = l.px(t.value());
            if (x < l.left - 0.5 || x > l.right + 0.5) continue;
            double row = (i % l.labelRows) * (Text.height(TICK) + 2);
            c.line(x, l.bottom, x, l.bottom + (t.major() ? TICK_MAJOR : TICK_MINOR), axis);
            if (t.major()) {
                c.text(t.label(), x, l.bottom + TICK_MAJOR + 2 + tickAscent + row, TICK, false, Align.MIDDLE, INK, 0);
            }
        }
        double mid = (Text.ascent(TICK) - Text.descent(TICK)) / 2;
        for (Ticks.Tick t : l.yTicks) {
            double y = l.py(t.value());
            if (y < l.top - 0.5 || y > l.bottom + 0.5) continue;
            c.line(l.left - (t.major() ? TICK_MAJOR : TICK_MINOR), y, l.left, y, axis);
            if (t.major()) c.text(t.label(), l.left - TICK_MAJOR - 3, y + mid, TICK, false, Align.END, INK, 0);
        }
        if (!xTitle.isEmpty()) {
            c.text(xTitle, (l.left + l.right) / 2, l.xTitleBaseline, AXIS_TITLE, false,
                    Align.MIDDLE, INK, 0);
        }
        if (!yTitle.isEmpty()) {
            c.text(yTitle, l.x0 + PAD + Text.ascent(AXIS_TITLE), (l.top + l.bottom) / 2, AXIS_TITLE, false, Align.MIDDLE,
                    INK, -90);
        }
    }

    /** The legend in box {@code b}: one entry per named series, row by row across {@code columns} columns. */
    private void drawLegend(Canvas c, Box b, int columns) {
        c.rect(b.x(), b.y(), b.w(), b.h(), new Color(255, 255, 255), Pen.solid(new Color(0xDDDDDD), 0.8));
        double entry = legendSize(columns)[2];
        double mid = (Text.ascent(LEGEND) - Text.descent(LEGEND)) / 2;
        int k = 0;
        for (Series s : series) {
            if (s.name() == null) continue;
            double x = b.x() + 5 + (k % columns) * entry, y = b.y() + 4 + rowHeight() / 2 + (k / columns) * rowHeight();
            if (s.joined() && s.style().width() > 0) c.line(x, y, x + SWATCH, y, s.style().pen());
            if (s.style().marker() != Marker.NONE) marker(c, s.style(), x + SWATCH / 2, y);
            c.text(s.name(), x + SWATCH + 6, y + mid, LEGEND, false, Align.START, INK, 0);
            k++;
        }
    }
}
