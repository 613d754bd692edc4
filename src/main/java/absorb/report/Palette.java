package absorb.report;

import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The colours of absorb's figures, all safe for readers with a colour-vision deficiency: Okabe and Ito's eight
 * colours ("Color Universal Design", 2008) for things that are merely different (layers, measures), viridis for
 * things that are ordered (graph sizes), and a wheel through the Okabe-Ito hues for positions on a circle (days of
 * the week). A report gives each layer or graph one colour through {@link #keyed} and uses that map in every figure.
 */
public final class Palette {
    public static final Color BLACK = new Color(0x000000);
    public static final Color ORANGE = new Color(0xE69F00);
    public static final Color SKY_BLUE = new Color(0x56B4E9);
    public static final Color GREEN = new Color(0x009E73);
    public static final Color YELLOW = new Color(0xF0E442);
    public static final Color BLUE = new Color(0x0072B2);
    public static final Color VERMILLION = new Color(0xD55E00);
    public static final Color PURPLE = new Color(0xCC79A7);
    /** Reference lines and secondary measures. */
    public static final Color GREY = new Color(0x7F7F7F);
    /** Graph edges and other context drawn behind the data. */
    public static final Color LIGHT_GREY = new Color(0xBDBDBD);

    /** Categorical colours in the order series take them (yellow, weak on white, left out). */
    public static final List<Color> CATEGORICAL = List.of(BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, BLACK);

    /** Viridis (van der Walt and Smith, matplotlib's default colour map) at 0, 0.1, ... 1. */
    private static final int[] VIRIDIS = {0x440154, 0x482576, 0x414487, 0x35608D, 0x2A788E, 0x21908C, 0x22A884,
        0x43BF71, 0x7AD151, 0xBBDF27, 0xFDE725};

    /** The Okabe-Ito hues in the order of a colour wheel, closing on the first. */
    private static final List<Color> WHEEL = List.of(BLUE, SKY_BLUE, GREEN, YELLOW, ORANGE, VERMILLION, PURPLE);

    private Palette() {}

    /**
     * One colour per key, in the keys' order: the categorical colours for up to seven keys, else viridis spread over
     * the keys. The same keys always get the same colours.
     */
    public static Map<String, Color> keyed(List<String> keys) {
        Map<String, Color> out = new LinkedHashMap<>();
        int n = (int) keys.stream().distinct().count();
        for (String k : keys) {
            if (out.containsKey(k)) continue;
            int i = out.size();
            out.put(k, n <= CATEGORICAL.size() ? CATEGORICAL.get(i) : sequential(n == 1 ? 0 : i / (n - 1.0)));
        }
        return out;
    }

    /** One colour per key of an ordered set (graph sizes): viridis from dark to 85% of its range (pure yellow left out). */
    public static Map<String, Color> ordered(List<String> keys) {
        Map<String, Color> out = new LinkedHashMap<>();
        List<String> distinct = keys.stream().distinct().toList();
        for (int i = 0; i < distinct.size(); i++) {
            out.put(distinct.get(i), sequential(distinct.size() == 1 ? 0 : 0.85 * i / (distinct.size() - 1.0)));
        }
        return out;
    }

    /** Viridis at {@code t} in [0, 1] (dark purple to yellow), interpolated linearly between tenths. */
    public static Color sequential(double t) {
        double x = Math.max(0, Math.min(1, t)) * 10;
        int i = Math.min((int) Math.floor(x), VIRIDIS.length - 2);
        return mix(new Color(VIRIDIS[i]), new Color(VIRIDIS[i + 1]), x - i);
    }

    /**
     * A position on a circle, {@code phase} in turns (0 and 1 the same colour): the Okabe-Ito hues in wheel order,
     * so that neighbours on the circle get neighbouring colours. Seven equally spaced phases get the seven hues.
     */
    public static Color cyclic(double phase) {
        double p = phase - Math.floor(phase);
        double x = p * WHEEL.size();
        int i = (int) Math.floor(x) % WHEEL.size();
        return mix(WHEEL.get(i), WHEEL.get((i + 1) % WHEEL.size()), x - Math.floor(x));
    }

    /** {@code a} moved a share {@code t} of the way to {@code b}, channel by channel. */
    static Color mix(Color a, Color b, double t) {
        return new Color(channel(a.getRed(), b.getRed(), t), channel(a.getGreen(), b.getGreen(), t),
                channel(a.getBlue(), b.getBlue(), t));
    }

    private static int channel(int a, int b, double t) {
        return (int) Math.round(a + (b - a) * t);
    }

    /** The colour as CSS/SVG writes it: #rrggbb. */
    public static String hex(Color c) {
        return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }
}
