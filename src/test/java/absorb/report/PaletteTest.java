package absorb.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The palette is told apart by readers with each of the three colour-vision deficiencies: every pair of series
 * colours, seen through the simulation of Machado, Oliveira and Fernandes (2009, severity 1) and compared in CIELAB,
 * stays at least 12 units apart, where a common default palette (matplotlib's tab10) falls below 5 for protanopia.
 */
class PaletteTest {
    private static final double[][][] DEFICIENCIES = {
        {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}}, // protanopia
        {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}}, // deuteranopia
        {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}}}; // tritanopia

    @Test
    void seriesColoursStayDistinctUnderEachDeficiency() {
        for (List<Color> palette : List.of(Palette.CATEGORICAL, cyclicSeven())) {
            for (double[][] m : DEFICIENCIES) assertTrue(closest(palette, m) >= 12, palette + ": " + closest(palette, m));
        }
        List<Color> tab10 = List.of(new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
                new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2));
        assertTrue(closest(tab10, DEFICIENCIES[0]) < 5, "the check tells a palette that is not safe");
    }

    @Test
    void keysKeepTheirColours() {
        List<String> hooks = List.of("blocks.0.resid_post", "blocks.1.resid_post", "blocks.2.resid_post");
        Map<String, Color> a = Palette.keyed(hooks), b = Palette.keyed(hooks);
        assertEquals(a, b);
        assertEquals(Palette.CATEGORICAL.get(1), a.get("blocks.1.resid_post"));
        assertEquals(3, a.values().stream().distinct().count());
        Map<String, Color> many = Palette.keyed(java.util.stream.IntStream.range(0, 24).mapToObj(i -> "blocks." + i).toList());
        assertEquals(24, many.values().stream().distinct().count(), "past seven keys, viridis spreads them");
        assertEquals(new Color(0x440154), Palette.sequential(0));
        assertEquals(new Color(0xFDE725), Palette.sequential(1));
    }

    @Test
    void theWheelClosesOnItself() {
        assertEquals(Palette.cyclic(0), Palette.cyclic(1));
        assertEquals(Palette.BLUE, Palette.cyclic(0));
        assertEquals(Palette.GREEN, Palette.cyclic(2 / 7.0));
        assertNotEquals(Palette.cyclic(0), Palette.cyclic(0.5));
        assertEquals("#0072b2", Palette.hex(Palette.BLUE));
    }

    private static List<Color> cyclicSeven() {
        return java.util.stream.IntStream.range(0, 7).mapToObj(i -> Palette.cyclic(i / 7.0)).toList();
    }

    /** The smallest CIELAB distance between two colours of {@code palette} as {@code deficiency} sees them. */
    private static double closest(List<Color> palette, double[][] deficiency) {
        double low = Double.POSITIVE_INFINITY;
        for (int i = 0; i < palette.size(); i++) {
            for (int j = i + 1; j < palette.size(); j++) {
                double[] a = lab(simulate(palette.get(i), deficiency)), b = lab(simulate(palette.get(j), deficiency));
                low = Math.min(low, Math.sqrt(Math.pow(a[0] - b[0], 2) + Math.pow(a[1] - b[1], 2) + Math.pow(a[2] - b[2], 2)));
            }
        }
        return low;
    }

    /** Linear RGB as the deficiency sees it (the matrix applies to linear light). */
    private static double[] simulate(Color c, double[][] m) {
        double[] rgb = {linear(c.getRed()), linear(c.getGreen()), linear(c.getBlue())}, out = new double[3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) out[i] += m[i][j] * rgb[j];
            out[i] = Math.max(0, Math.min(1, out[i]));
        }
        return out;
    }

    private static double linear(int v) {
        double c = v / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }

    /** CIELAB of linear sRGB, D65 white. */
    private static double[] lab(double[] rgb) {
        double x = 0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2];
        double y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        double z = 0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2];
        double fx = f(x / 0.95047), fy = f(y), fz = f(z / 1.08883);
        return new double[] {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }

    private static double f(double t) {
        return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116.0;
    }
}
