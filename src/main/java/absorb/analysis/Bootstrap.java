package absorb.analysis;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Confidence intervals for an accuracy whose questions come in clusters (the questions of one news item are not
 * independent): the clusters are resampled with replacement, and the accuracy of each resample is
 * sum(correct) / sum(asked) over the clusters drawn. The interval is the percentile interval of the resamples.
 */
public final class Bootstrap {
    private Bootstrap() {}

    /** An estimate and its percentile interval. */
    public record Interval(double estimate, double low, double high) {
        public static final Interval NONE = new Interval(Double.NaN, Double.NaN, Double.NaN);
    }

    /**
     * accuracy = sum(correct) / sum(asked) over clusters, with the {@code level} (0.95) percentile interval from
     * {@code resamples} resamples of the clusters drawn with {@code seed}.
     */
    public static Interval accuracy(double[] correct, double[] asked, int resamples, double level, long seed) {
        return difference(correct, asked, null, null, resamples, level, seed);
    }

    /**
     * The paired difference a - b of two accuracies measured on the same clusters: each resample draws the clusters
     * once and computes both accuracies on them, so that what the clusters share cancels.
     */
    public static Interval difference(double[] correctA, double[] askedA, double[] correctB, double[] askedB,
            int resamples, double level, long seed) {
        int n = correctA.length;
        if (n == 0) return Interval.NONE;
        double estimate = ratio(correctA, askedA, null) - (correctB == null ? 0 : ratio(correctB, askedB, null));
        SplittableRandom random = new SplittableRandom(seed);
        double[] draws = new double[resamples];
        int[] pick = new int[n];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) pick[i] = random.nextInt(n);
            draws[r] = ratio(correctA, askedA, pick) - (correctB == null ? 0 : ratio(correctB, askedB, pick));
        }
        Arrays.sort(draws);
        double tail = (1 - level) / 2;
        return new Interval(estimate, quantile(draws, tail), quantile(draws, 1 - tail));
    }

    /** sum(correct) / sum(asked) over the clusters in {@code pick} (all when null). */
    static double ratio(double[] correct, double[] asked, int[] pick) {
        double c = 0, a = 0;
        int n = pick == null ? correct.length : pick.length;
        for (int k = 0; k < n; k++) {
            int i = pick == null ? k : pick[k];
            c += correct[i];
            a += asked[i];
        }
        return a == 0 ? Double.NaN : c / a;
    }

    /** The q-quantile of sorted values, by linear interpolation between order statistics (numpy's default). */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
