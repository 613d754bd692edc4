package absorb.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.report.Placement.Box;
import absorb.report.Placement.Corner;
import absorb.report.Placement.Label;
import absorb.report.Placement.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Legend corners and label positions, checked against the geometry they must respect. */
class PlacementTest {
    private static final Box PLOT = new Box(50, 40, 400, 250);

    /** A curve rising from the lower left to the upper right leaves the upper left empty. */
    @Test
    void legendGoesToTheCornerTheDataLeaveEmpty() {
        List<Segment> rising = List.of(new Segment(50, 290, 250, 200), new Segment(250, 200, 450, 40));
        assertEquals(Corner.NW, Placement.emptyCorner(PLOT, 120, 40, 6, 3, List.of(), rising).orElseThrow());
        List<Segment> falling = List.of(new Segment(50, 40, 250, 150), new Segment(250, 150, 450, 290));
        assertEquals(Corner.NE, Placement.emptyCorner(PLOT, 120, 40, 6, 3, List.of(), falling).orElseThrow());
    }

    /** The case: the curve's end in the upper right, a marker under where a legend in the upper right sits. */
    @Test
    void legendAvoidsAMarkerAndGoesOutsideWhenEveryCornerIsTaken() {
        Box marker = new Box(420, 48, 8, 8);
        assertEquals(Corner.NW, Placement.emptyCorner(PLOT, 120, 40, 6, 3, List.of(marker), List.of()).orElseThrow());
        List<Box> everywhere = List.of(new Box(60, 50, 5, 5), new Box(430, 50, 5, 5), new Box(60, 280, 5, 5),
                new Box(430, 280, 5, 5));
        assertTrue(Placement.emptyCorner(PLOT, 120, 40, 6, 3, everywhere, List.of()).isEmpty());
    }

    @Test
    void boxGeometry() {
        Box a = new Box(0, 0, 10, 10);
        assertEquals(25, a.overlap(new Box(5, 5, 10, 10)), 1e-12);
        assertEquals(0, a.overlap(new Box(10, 0, 5, 5)), 1e-12);
        assertEquals(50, new Box(-5, 0, 10, 10).outside(new Box(0, 0, 100, 100)), 1e-12);
        assertTrue(a.crosses(new Segment(-5, 5, 15, 5)));
        assertTrue(a.crosses(new Segment(5, 5, 50, 50))); // one end inside
        assertFalse(a.crosses(new Segment(11, -5, 11, 15)));
    }

    /**
     * Labels of 40 x 13 pixels on a lattice of markers 30 pixels apart, and on a random scatter: no label covers a
     * marker (its own included), touches another label, or leaves the plot.
     */
    @Test
    void labelsClearEveryMarkerAndEachOther() {
        List<Label> lattice = new ArrayList<>();
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) lattice.add(new Label(120 + 60 * i, 80 + 40 * j, 4, 40, 13));
        assertClear(lattice, Placement.labels(lattice, PLOT, List.of(), List.of()));

        Random rnd = new Random(3);
        List<Label> scatter = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            scatter.add(new Label(90 + 320 * rnd.nextDouble(), 70 + 190 * rnd.nextDouble(), 4, 25 + 20 * rnd.nextDouble(), 13));
        }
        assertClear(scatter, Placement.labels(scatter, PLOT, List.of(), List.of()));
    }

    /** Two markers close together get their labels on opposite sides, each nearer its own marker. */
    @Test
    void labelsOfNeighboursReadAsTheirOwn() {
        List<Label> two = List.of(new Label(200, 150, 4, 40, 13), new Label(202, 162, 4, 40, 13));
        List<Placement.Placed> p = Placement.labels(two, PLOT, List.of(), List.of());
        assertClear(two, p);
        for (int i = 0; i < 2; i++) {
            Box b = p.get(i).box();
            double cx = b.x() + b.w() / 2, cy = b.y() + b.h() / 2;
            Label own = two.get(i), other = two.get(1 - i);
            assertTrue(Math.hypot(cx - own.ax(), cy - own.ay()) < Math.hypot(cx - other.ax(), cy - other.ay()),
                    "label " + i + " at " + b);
        }
    }

    /** Where a free position exists, a label does not sit on a line through its marker's neighbourhood. */
    @Test
    void labelsAvoidLinesWhenTheyCan() {
        Label l = new Label(200, 150, 4, 40, 13);
        Segment horizontal = new Segment(100, 150, 300, 150); // through the right and left positions
        Box b = Placement.labels(List.of(l), PLOT, List.of(), List.of(horizontal)).get(0).box();
        assertFalse(b.crosses(horizontal), b.toString());
    }

    private static void assertClear(List<Label> labels, List<Placement.Placed> placed) {
        assertEquals(labels.size(), placed.size());
        for (int i = 0; i < labels.size(); i++) {
            Box b = placed.get(i).box();
            assertEquals(0, b.outside(PLOT), 1e-9, "label " + i + " leaves the plot: " + b);
            for (Label m : labels) {
                Box marker = new Box(m.ax() - m.radius(), m.ay() - m.radius(), 2 * m.radius(), 2 * m.radius());
                assertEquals(0, b.overlap(marker), 1e-9, "label " + i + " covers a marker at " + m);
            }
            for (int j = i + 1; j < labels.size(); j++) {
                assertEquals(0, b.overlap(placed.get(j).box()), 1e-9, "labels " + i + " and " + j + " touch");
            }
        }
    }
}
