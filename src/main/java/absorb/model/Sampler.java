package absorb.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits, applying transformers' processors in their order: repetition
 * penalty, then (when sampling) temperature, top-k and top-p, then a draw from the softmax. Greedy picks the
 * first maximum, as torch.argmax does.
 */
public final class Sampler {
    private final double temperature;
    private final int topK;
    private final double topP;
    private final double repetitionPenalty;
    private final SplittableRandom random;

    /** {@code temperature} 0 means greedy; {@code topK} 0 and {@code topP} 1 disable those filters. */
    public Sampler(double temperature, int topK, double topP, double repetitionPenalty, long seed) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.repetitionPenalty = repetitionPenalty;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 1, 0);
    }

    /** A uniform number in [0, 1) from this sampler's generator (for a draw made elsewhere). */
    double uniform() {
        return isGreedy() ? 0 : random.nextDouble();
    }

    public boolean isGreedy() {
        return temperature <= 0;
    }

    /** The next token for {@code logits} (modified in place) after the tokens in {@code context}. */
    public int next(float[] logits, long[] context, int contextLength) {
        if (repetitionPenalty != 1.0) penalize(logits, context, contextLength);
        if (isGreedy()) return argmax(logits);
        float inv = (float) temperature;
        for (int i = 0; i < logits.length; i++) logits[i] = logits[i] / inv;
        if (topK > 0 && topK < logits.length) keepTopK(logits, topK);
        if (topP < 1.0) keepTopP(logits, topP);
        return draw(logits);
    }

    /** score / penalty where positive, score * penalty where negative, for every token already seen. */
    private void penalize(float[] logits, long[] context, int n) {
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < n; i++) {
            int id = (int) context[i];
            if (id < 0 || id >= logits.length || seen[id]) continue;
            seen[id] = true;
            float s = logits[id];
            logits[id] = s < 0 ? (float) (s * repetitionPenalty) : (float) (s / repetitionPenalty);
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Keeps the k largest scores (and any tied with the k-th), as transformers' TopKLogitsWarper. */
    static void keepTopK(float[] logits, int k) {
        java.util.PriorityQueue<Float> largest = new java.util.PriorityQueue<>(k + 1);
        for (float l : logits) {
            if (largest.size() < k) largest.add(l);
            else if (l > largest.peek()) {
                largest.poll();
                largest.add(l);
            }
        }
        float kth = largest.peek();
        for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * Nucleus filtering as transformers' TopPLogitsWarper: sort ascending, drop tokens whose cumulative
     * probability is at most 1 - p, always keep the most likely one. Tokens already filtered out have
     * probability 0 and stay out.
     */
    static void keepTopP(float[] logits, double p) {
        double[] probs = softmax(logits);
        int live = 0;
        for (float l : logits) if (l != Float.NEGATIVE_INFINITY) live++;
        Integer[] order = new Integer[live];
        for (int i = 0, k = 0; i < logits.length; i++) if (logits[i] != Float.NEGATIVE_INFINITY) order[k++] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[a], logits[b]));
        double cumulative = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - p) logits[order[r]] = Float.NEGATIVE_INFINITY;
        }
    }

    static double[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private int draw(float[] logits) {
        double[] p = softmax(logits);
        double u = random.nextDouble(), c = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            c += p[i];
            last = i;
            if (u < c) return i;
        }
        return last;
    }
}
