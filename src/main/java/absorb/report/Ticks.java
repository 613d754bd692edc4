package absorb.report;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Where an axis puts its ticks and which of them carry a label. A linear axis gets "nice" steps (1, 2 or 5 times a
 * power of ten, about as many as asked for); a log axis gets a tick at every integer multiple of each decade (2, 3, ... 9: the minor ticks) and
 * labels on the densest of three sets that fits without labels touching: every multiple (6, 7, 8, 9, 10, 20 on an
 * axis from 6 to 20), then 1, 2 and 5 (1, 2, 5, 10, 20, 50, 100, 200 from 1 to 256), then the decades alone.
 */
public final class Ticks {
    /** A tick at {@code value}; {@code label} is null on a minor (unlabelled) tick. */
    public record Tick(double value, String label) {
        public boolean major() {
            return label != null;
        }
    }

    private static final int[][] LOG_LABELS = {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 5}, {1}};

    private Ticks() {}

    /** Labelled ticks from {@code lo} to {@code hi} at a nice step giving about {@code target} of them. */
    public static List<Tick> linear(double lo, double hi, int target) {
        if (!(hi > lo)) return List.of(new Tick(lo, format(lo)));
        double step = niceStep((hi - lo) / Math.max(1, target));
        List<Tick> out = new ArrayList<>();
        long first = (long) Math.ceil(lo / step - 1e-9), last = (long) Math.floor(hi / step + 1e-9);
        for (long k = first; k <= last; k++) {
            double v = clean(k * step);
            out.add(new Tick(v, format(v)));
        }
        return out;
    }

    /** The step of 1, 2 or 5 times a power of ten nearest to {@code raw} (in ratio). */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double best = p;
        for (double m : new double[] {1, 2, 5, 10}) {
            if (Math.abs(Math.log(m * p / raw)) < Math.abs(Math.log(best / raw))) best = m * p;
        }
        return best;
    }

    /**
     * Ticks of a log axis from {@code lo} to {@code hi} (both positive) drawn over {@code pixels}: every integer multiple
     * of each decade, labelled on the densest set of {@link #LOG_LABELS} whose neighbouring labels keep {@code gap}
     * pixels between them, given each label's extent along the axis ({@code extent}: its width on a horizontal axis,
     * its height on a vertical one). Where even the decades crowd, every second (third, ...) decade is labelled; where
     * fewer than two multiples fall in the range, the labels are those of a linear axis.
     */
    public static List<Tick> log(double lo, double hi, double pixels, double gap, ToDoubleFunction<String> extent) {
        if (!(lo > 0) || !(hi > lo)) return List.of(new Tick(lo, format(lo)));
        double span = Math.log10(hi) - Math.log10(lo);
        List<Double> all = new ArrayList<>();
        for (int d = (int) Math.floor(Math.log10(lo)) - 1; d <= (int) Math.ceil(Math.log10(hi)); d++) {
            for (int m = 1; m <= 9; m++) {
                double v = clean(m * Math.pow(10, d));
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) all.add(v);
            }
        }
        for (int[] set : LOG_LABELS) {
            List<Double> labelled = all.stream().filter(v -> in(mantissa(v), set)).toList();
            if (labelled.size() < 2) continue;
            if (set.length > 1) {
                if (fits(labelled, span, pixels, gap, extent)) return withMinor(all, labelled);
                continue;
            }
            for (int stride = 1; ; stride++) { // the decades, every stride-th one
                int s = stride;
                List<Double> shown = labelled.stream()
                        .filter(v -> Math.floorMod(Math.round(Math.log10(v)), s) == 0).toList();
                if (shown.size() <= 2 || fits(shown, span, pixels, gap, extent)) return withMinor(all, shown);
            }
        }
        // Fewer than two labelled multiples fit in the range: label it as a linear axis would, keep the minor ticks.
        List<Tick> labels = linear(lo, hi, 3).stream().filter(t -> t.value() > 0).toList();
        List<Tick> out = new ArrayList<>(labels);
        for (double v : all) if (labels.stream().noneMatch(t -> t.value() == v)) out.add(new Tick(v, null));
        out.sort(java.util.Comparator.comparingDouble(Tick::value));
        return out;
    }

    private static List<Tick> withMinor(List<Double> all, List<Double> labelled) {
        List<Tick> out = new ArrayList<>();
        for (double v : all) out.add(new Tick(v, labelled.contains(v) ? format(v) : null));
        return out;
    }

    private static boolean fits(List<Double> shown, double span, double pixels, double gap,
            ToDoubleFunction<String> extent) {
        for (int i = 1; i < shown.size(); i++) {
            double a = shown.get(i - 1), b = shown.get(i);
            double distance = pixels * (Math.log10(b) - Math.log10(a)) / span;
            double need = (extent.applyAsDouble(format(a)) + extent.applyAsDouble(format(b))) / 2 + gap;
            if (distance < need) return false;
        }
        return true;
    }

    private static boolean in(int m, int[] set) {
        for (int s : set) if (s == m) return true;
        return false;
    }

    /** The leading digit of a multiple of a power of ten. */
    static int mantissa(double v) {
        return (int) Math.round(v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9)));
    }

    /** {@code v} without the float noise of k * step (0.30000000000000004 becomes 0.3). */
    private static double clean(double v) {
        return new BigDecimal(v).round(new java.math.MathContext(12)).doubleValue();
    }

    /** The shortest plain decimal of a tick value: 0.05, 0.5, 5, 50, 5000; 1e+06 style from a million. */
    public static String format(double v) {
        if (v == 0) return "0";
        if (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) {
            return String.format(java.util.Locale.ROOT, "%.3g", v).replaceAll("\\.?0+e", "e");
        }
        return new BigDecimal(v).round(new java.math.MathContext(10)).stripTrailingZeros().toPlainString();
    }
}
