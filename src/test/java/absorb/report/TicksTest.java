package absorb.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tick positions and labels on cases worked out by hand. */
class TicksTest {
    /** Every label 7 pixels wide per character: a stand-in for text measured in a font. */
    private static double width(String label) {
        return 7.0 * label.length();
    }

    private static List<Double> labelled(List<Ticks.Tick> ticks) {
        return ticks.stream().filter(Ticks.Tick::major).map(Ticks.Tick::value).toList();
    }

    @Test
    void linearTicksTakeANiceStep() {
        List<Ticks.Tick> t = Ticks.linear(0, 1, 5);
        assertEquals(List.of(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), labelled(t));
        assertEquals(List.of("0", "0.2", "0.4", "0.6", "0.8", "1"), t.stream().map(Ticks.Tick::label).toList());
        // -10.4 .. 6.6 in about 8 steps: a step of 2, from -10 to 6
        assertEquals(List.of(-10.0, -8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0), labelled(Ticks.linear(-10.4, 6.6, 8)));
        assertEquals(List.of(2.85, 2.9, 2.95, 3.0), labelled(Ticks.linear(2.84, 3.01, 4)));
    }

    /** Context positions 1 to 256 across 450 pixels: 1, 2 and 5 of each decade labelled, every multiple ticked. */
    @Test
    void logAxisOverTwoDecadesLabelsOneTwoFive() {
        List<Ticks.Tick> t = Ticks.log(1, 256, 450, 10, TicksTest::width);
        assertEquals(List.of(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0), labelled(t));
        // 1..9, 10..90, 100 and 200: twenty ticks, the twelve unlabelled ones minor
        assertEquals(20, t.size());
        assertTrue(t.stream().anyMatch(x -> x.value() == 30.0 && !x.major()));
    }

    /** Graph sizes 6 to 20 (the axis with one label, "10"): every multiple is labelled. */
    @Test
    void logAxisWithinADecadeLabelsEveryMultiple() {
        assertEquals(List.of(6.0, 7.0, 8.0, 9.0, 10.0, 20.0), labelled(Ticks.log(5.7, 21, 400, 10, TicksTest::width)));
    }

    /** Critical contexts 14 to 125 on a 300-pixel vertical axis, 13-pixel labels: 90 and 100 would touch. */
    @Test
    void crowdedLogAxisFallsBackToOneTwoFive() {
        List<Double> l = labelled(Ticks.log(13.6, 125, 300, 6, s -> 13));
        assertEquals(List.of(20.0, 50.0, 100.0), l);
    }

    /** Six decades in 200 pixels: the decades alone, every second one, since "100000" needs 42 pixels. */
    @Test
    void manyDecadesLabelEverySecondDecade() {
        List<Double> l = labelled(Ticks.log(1, 1e6, 200, 10, TicksTest::width));
        assertEquals(List.of(1.0, 100.0, 10000.0, 1000000.0), l);
    }

    /** A range inside one decade with fewer than two multiples: labelled as a linear axis would be. */
    @Test
    void narrowLogRangeGetsLinearLabels() {
        List<Double> l = labelled(Ticks.log(2.1, 2.9, 300, 10, TicksTest::width));
        assertTrue(l.size() >= 2, l.toString());
        for (double v : l) assertTrue(v >= 2.1 && v <= 2.9, l.toString());
    }

    @Test
    void labelsAreShortPlainDecimals() {
        assertEquals("0.05", Ticks.format(0.05));
        assertEquals("200", Ticks.format(200));
        assertEquals("0.3", Ticks.format(0.1 + 0.2));
        assertEquals("1e+06", Ticks.format(1e6));
    }
}
