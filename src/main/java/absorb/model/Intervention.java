package absorb.model;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What a forward pass does at one hook point (see {@link HookPoint}) besides computing it: read it, or replace it
 * with zero, with its mean over a reference batch, with a value from another run, or with a function of it; all of
 * it or only some heads (attn.z, attn.pattern) and some positions (query positions for attn.pattern). A forward pass
 * takes a list of them ({@link Forward#withInterventions}), applied in list order where they name the same point, and
 * what follows in the pass sees the changed value. Each one that writes reports what it changed
 * ({@link Change}, in {@link Transformer.Output#changes()}).
 *
 * @param point the hook point's name
 * @param edit what to do
 * @param value for MEAN the mean over the reference batch and for REPLACE the replacement, broadcast to the point's
 *     shape (a run's own tensor at that point, or one row of it); null otherwise
 * @param function for FUNCTION, the new value computed from the point's value (same shape); null otherwise
 * @param reader for READ, what receives the value (it lives in the forward pass's scope: copy what you keep; an
 *     attention pattern is freed as soon as its block has used it); null otherwise
 * @param heads the heads a write is limited to (null: all); only for attn.z and attn.pattern
 * @param positions the positions a write is limited to (null: all); query positions for attn.pattern
 */
public record Intervention(String point, Edit edit, NDArray value, UnaryOperator<NDArray> function,
        Consumer<NDArray> reader, int[] heads, int[] positions) {

    /** What an intervention does. */
    public enum Edit { READ, ZERO, MEAN, REPLACE, FUNCTION }

    /**
     * What a write changed at its point: the L2 norm of (new - old) over the selected part and of the old value over
     * the same part. A patch or ablation whose change is zero changed nothing ({@link #changed()} false).
     */
    public record Change(Intervention intervention, double changeNorm, double valueNorm) {
        public boolean changed() {
            return changeNorm > 0;
        }

        /** ||new - old|| / ||old|| (infinite when the old value was zero and the new one is not). */
        public double relative() {
            return valueNorm == 0 ? (changeNorm == 0 ? 0 : Double.POSITIVE_INFINITY) : changeNorm / valueNorm;
        }
    }

    public Intervention {
        if (point == null || edit == null) throw new IllegalArgumentException("an intervention needs a point and an edit");
        if ((edit == Edit.MEAN || edit == Edit.REPLACE) && value == null) throw new IllegalArgumentException(edit + " needs a value");
        if (edit == Edit.FUNCTION && function == null) throw new IllegalArgumentException("FUNCTION needs a function");
        if (edit == Edit.READ && reader == null) throw new IllegalArgumentException("READ needs a reader");
        heads = heads == null ? null : heads.clone();
        positions = positions == null ? null : positions.clone();
    }

    /** Hands the point's value to {@code reader}, changing nothing. */
    public static Intervention read(String point, Consumer<NDArray> reader) {
        return new Intervention(point, Edit.READ, null, null, reader, null, null);
    }

    /** Sets the point (or the selected heads and positions) to zero: zero ablation. */
    public static Intervention zero(String point) {
        return new Intervention(point, Edit.ZERO, null, null, null, null, null);
    }

    /**
     * Sets the point to its mean over a reference batch: {@code reference} is the point's value on that batch
     * ([reference batch, ...the point's other axes]), averaged here over its first axis.
     */
    public static Intervention mean(String point, NDArray reference) {
        return new Intervention(point, Edit.MEAN, reference.mean(new int[] {0}, true), null, null, null, null);
    }

    /** Sets the point to {@code value} (from another run, say), broadcast to the point's shape: activation patching. */
    public static Intervention replace(String point, NDArray value) {
        return new Intervention(point, Edit.REPLACE, value, null, null, null, null);
    }

    /** Sets the point to {@code f} of its value (same shape). */
    public static Intervention apply(String point, UnaryOperator<NDArray> f) {
        return new Intervention(point, Edit.FUNCTION, null, f, null, null, null);
    }

    /** The same, limited to {@code h} (attn.z and attn.pattern only). */
    public Intervention heads(int... h) {
        return new Intervention(point, edit, value, function, reader, h, positions);
    }

    /** The same, limited to the positions {@code p} (query positions for attn.pattern). */
    public Intervention positions(int... p) {
        return new Intervention(point, edit, value, function, reader, heads, p);
    }

    public boolean writes() {
        return edit != Edit.READ;
    }

    /**
     * Refuses, in one sentence, an intervention that does not fit a model of {@code layers} blocks with
     * {@code heads} attention heads: an unknown point, heads on a point without heads, a head or a negative position
     * that does not exist.
     */
    public HookPoint.At check(int layers, int heads) {
        HookPoint.At at = HookPoint.parse(point, layers);
        if (this.heads != null) {
            if (!at.site().perHead()) {
                throw new AbsorbException("Hook point " + point + " has no heads; heads can be chosen at a block's"
                        + " attn.z and attn.pattern.");
            }
            for (int h : this.heads) {
                if (h < 0 || h >= heads) {
                    throw new AbsorbException("Head " + h + " does not exist at " + point + ": the model has " + heads
                            + " heads per layer (0 to " + (heads - 1) + ").");
                }
            }
        }
        if (positions != null) {
            for (int p : positions) if (p < 0) throw new AbsorbException("Position " + p + " at " + point + " is negative.");
        }
        return at;
    }

    /** In words: "zero at blocks.1.attn.z heads 2, 3". */
    public String describe() {
        StringBuilder s = new StringBuilder(edit.name().toLowerCase(Locale.ROOT)).append(" at ").append(point);
        if (heads != null) s.append(" heads ").append(join(heads));
        if (positions != null) s.append(" positions ").append(join(positions));
        return s.toString();
    }

    private static String join(int[] v) {
        return String.join(", ", Arrays.stream(v).mapToObj(String::valueOf).toList());
    }
}
