package absorb.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Where a figure's legend and its text labels go, so that neither hides data: the legend in a corner of the plot
 * that the data leave empty (or, when none is, outside the plot), each label beside its marker in the free position
 * nearest to it, clear of every marker, of the other labels and, where it can be, of the lines. All in figure pixels,
 * y pointing down.
 */
public final class Placement {
    /** An axis-aligned box: top-left corner, width and height. */
    public record Box(double x, double y, double w, double h) {
        public double right() {
            return x + w;
        }

        public double bottom() {
            return y + h;
        }

        /** The area {@code this} and {@code o} share. */
        public double overlap(Box o) {
            double dx = Math.min(right(), o.right()) - Math.max(x, o.x), dy = Math.min(bottom(), o.bottom()) - Math.max(y, o.y);
            return dx > 0 && dy > 0 ? dx * dy : 0;
        }

        /** The area of {@code this} that lies outside {@code bounds}. */
        public double outside(Box bounds) {
            return w * h - overlap(bounds);
        }

        public Box grow(double d) {
            return new Box(x - d, y - d, w + 2 * d, h + 2 * d);
        }

        /** Whether segment {@code s} passes through the box (an end inside it counts). */
        public boolean crosses(Segment s) {
            return new java.awt.geom.Line2D.Double(s.x1(), s.y1(), s.x2(), s.y2()).intersects(x, y, w, h);
        }

        /** The point of the box nearest to (px, py). */
        public double[] nearest(double px, double py) {
            return new double[] {Math.max(x, Math.min(right(), px)), Math.max(y, Math.min(bottom(), py))};
        }
    }

    /** A straight piece of a drawn line. */
    public record Segment(double x1, double y1, double x2, double y2) {}

    /** Where a legend sits inside the plot. */
    public enum Corner { NE, NW, SE, SW }

    /** A label to place beside its anchor (a marker of radius {@code radius} at ax, ay); w x h is its text's size. */
    public record Label(double ax, double ay, double radius, double w, double h) {}

    /** A placed label; {@code leader} when it sits away from its marker and needs a line drawn to it. */
    public record Placed(Box box, boolean leader) {}

    // Costs of a candidate position, in units of one square pixel of text over a marker or another label.
    private static final double OUTSIDE = 1e6, COVERED = 50, CROSSED_LINE = 300, FARTHER = 400, TURNED = 8,
            NEARER_ANOTHER = 700;

    private Placement() {}

    /**
     * The corner of {@code plot} where a {@code w} x {@code h} legend, {@code inset} from the plot's edges, keeps at
     * least {@code clearance} from every box in {@code avoid} and every segment in {@code lines}; NE first, then NW,
     * SE, SW. Empty when no corner is free: the legend then goes outside the plot.
     */
    public static Optional<Corner> emptyCorner(Box plot, double w, double h, double inset, double clearance, List<Box> avoid,
            List<Segment> lines) {
        for (Corner c : Corner.values()) {
            Box b = corner(plot, c, w, h, inset);
            if (b.outside(plot) > 1e-6 * b.w() * b.h()) continue;
            Box zone = b.grow(clearance);
            if (avoid.stream().noneMatch(a -> zone.overlap(a) > 0) && lines.stream().noneMatch(zone::crosses)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The box of a {@code w} x {@code h} legend in corner {@code c} of {@code plot}. */
    public static Box corner(Box plot, Corner c, double w, double h, double inset) {
        double x = c == Corner.NE || c == Corner.SE ? plot.right() - inset - w : plot.x() + inset;
        double y = c == Corner.NE || c == Corner.NW ? plot.y() + inset : plot.bottom() - inset - h;
        return new Box(x, y, w, h);
    }

    /**
     * The index of the least covered of {@code candidates} (ties to the earliest): a box outside {@code bounds} costs
     * most, then one over a box of {@code avoid}, then one through a line.
     */
    public static int best(List<Box> candidates, Box bounds, List<Box> avoid, List<Segment> lines) {
        int best = 0;
        double low = Double.POSITIVE_INFINITY;
        for (int i = 0; i < candidates.size(); i++) {
            double c = cost(candidates.get(i), bounds, avoid, List.of(), lines) + TURNED * i;
            if (c < low) {
                low = c;
                best = i;
            }
        }
        return best;
    }

    /**
     * Places each label at one of eight positions around its marker (right, upper right, above, upper left, left,
     * lower left, below, lower right, in that order of preference), or farther out along the same directions when all
     * eight are taken, at the position that covers least: nothing outside {@code bounds}, no marker (each label's own
     * included), no other label, no box of {@code avoid}, and as few of {@code lines} as it can, nearer to its own marker
     * than to any other. The most crowded labels choose first; then each chooses again knowing where all the others
     * went.
     */
    public static List<Placed> labels(List<Label> labels, Box bounds, List<Box> avoid, List<Segment> lines) {
        int n = labels.size();
        List<Box> markers = new ArrayList<>(avoid);
        for (Label l : labels) markers.add(new Box(l.ax() - l.radius(), l.ay() - l.radius(), 2 * l.radius(), 2 * l.radius()));
        Box[] placed = new Box[n];
        int[] level = new int[n];
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -neighbours(labels, i)).thenComparingInt(i -> i));
        for (int pass = 0; pass < 3; pass++) {
            for (int i : order) {
                placed[i] = null;
                List<Box> others = new ArrayList<>();
                for (Box b : placed) if (b != null) others.add(b);
                Label l = labels.get(i);
                double low = Double.POSITIVE_INFINITY;
                for (int lv = 0; lv < 3; lv++) {
                    List<Box> around = around(l, lv);
                    for (int d = 0; d < around.size(); d++) {
                        Box b = around.get(d);
                        double c = cost(b, bounds, markers, others, lines) + FARTHER * lv + TURNED * d
                                + (nearerAnother(b, labels, i) ? NEARER_ANOTHER : 0);
                        if (c < low) {
                            low = c;
                            placed[i] = b;
                            level[i] = lv;
                        }
                    }
                }
            }
        }
        List<Placed> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Placed(placed[i], level[i] > 0));
        return out;
    }

    /** The eight positions around a label's marker, {@code level} steps of one text height farther out than touching. */
    static List<Box> around(Label l, int level) {
        double gap = 2 + level * l.h() * 1.1, r = l.radius() + gap, d = (l.radius() + gap) * Math.sqrt(0.5);
        double w = l.w(), h = l.h(), x = l.ax(), y = l.ay();
        return List.of(
                new Box(x + r, y - h / 2, w, h), // right
                new Box(x + d, y - d - h, w, h), // upper right
                new Box(x - w / 2, y - r - h, w, h), // above
                new Box(x - d - w, y - d - h, w, h), // upper left
                new Box(x - r - w, y - h / 2, w, h), // left
                new Box(x - d - w, y + d, w, h), // lower left
                new Box(x - w / 2, y + r, w, h), // below
                new Box(x + d, y + d, w, h)); // lower right
    }

    private static double cost(Box b, Box bounds, List<Box> markers, List<Box> labels, List<Segment> lines) {
        double c = OUTSIDE * b.outside(bounds);
        for (Box m : markers) c += COVERED * b.overlap(m);
        for (Box o : labels) c += COVERED * b.overlap(o.grow(1));
        for (Segment s : lines) if (b.crosses(s)) c += CROSSED_LINE;
        return c;
    }

    /**
     * Whether another label's anchor lies about as near to box {@code b} as label i's own, or nearer to its centre
     * (the label would read as the other's).
     */
    private static boolean nearerAnother(Box b, List<Label> labels, int i) {
        Label own = labels.get(i);
        double edge = distance(b, own.ax(), own.ay());
        double cx = b.x() + b.w() / 2, cy = b.y() + b.h() / 2, centre = Math.hypot(cx - own.ax(), cy - own.ay());
        for (int j = 0; j < labels.size(); j++) {
            if (j == i) continue;
            Label o = labels.get(j);
            if (distance(b, o.ax(), o.ay()) < edge + 2 || Math.hypot(cx - o.ax(), cy - o.ay()) < centre) return true;
        }
        return false;
    }

    private static double distance(Box b, double x, double y) {
        double[] p = b.nearest(x, y);
        return Math.hypot(p[0] - x, p[1] - y);
    }

    /** How many other anchors lie within three text heights of label i's anchor. */
    private static int neighbours(List<Label> labels, int i) {
        Label a = labels.get(i);
        int n = 0;
        for (Label b : labels) {
            if (b != a && Math.hypot(a.ax() - b.ax(), a.ay() - b.ay()) < 3 * Math.max(a.h(), b.h())) n++;
        }
        return n;
    }
}
