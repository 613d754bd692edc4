package absorb.model;

import absorb.runtime.Kernel;
import absorb.runtime.TorchScript;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.List;

/**
 * Operations on weights while a model is loaded, laid out and merged, in {@code absorb/model/weights.py}: casts to
 * and from bfloat16 (a dtype DJL cannot make), transposed copies, fusing projections side by side, in-place adds. They
 * run outside inference mode, since their results are weights that may be trained against.
 */
public final class WeightKernels {
    private static final TorchScript SCRIPT = TorchScript.load("absorb/model/weights.py");
    private static final Kernel TO_BFLOAT16 = SCRIPT.kernel("to_bfloat16", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel TO_FLOAT32 = SCRIPT.kernel("to_float32", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel EMPTY_LIKE = SCRIPT.kernel("empty_like", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel COPY_COLUMNS = SCRIPT.kernel("copy_columns", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel FUSE = SCRIPT.kernel("fuse", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel ADD_INTO = SCRIPT.kernel("add_into", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel OWN_COPY = SCRIPT.kernel("own_copy", Kernel.Mode.MAKES_WEIGHTS);
    private static final Kernel COPY_INTO = SCRIPT.kernel("copy_into", Kernel.Mode.MAKES_WEIGHTS);

    private WeightKernels() {}

    /** x as bfloat16 (DJL reports such tensors as dtype unknown). */
    public static NDArray toBfloat16(NDArray x) {
        return TO_BFLOAT16.tensor(x.getManager(), x);
    }

    public static NDArray toFloat32(NDArray x) {
        return TO_FLOAT32.tensor(x.getManager(), x);
    }

    /** An uninitialised [rows, cols] tensor of {@code like}'s dtype, in {@code like}'s manager. */
    static NDArray emptyLike(NDArray like, int rows, int cols) {
        return EMPTY_LIKE.tensor(like.getManager(), like, rows, cols);
    }

    /** Copies src^T ([n, r] into [r, n]) into columns {@code start} to {@code start + n} of {@code dst}. */
    static void copyColumns(NDArray dst, NDArray src, int start) {
        COPY_COLUMNS.run(dst, src, start);
    }

    /** {@code parts} concatenated along {@code dim}, then each part as a view of that, all in {@code owner}. */
    static NDArray[] fuse(List<NDArray> parts, int dim, NDManager owner) {
        try (IValue list = IValue.listFrom(parts.toArray(PtNDArray[]::new))) {
            return FUSE.list((PtNDManager) owner, list, dim);
        }
    }

    /** {@code dst += delta} in place (a weight, or a view of one). */
    static void addInto(NDArray dst, NDArray delta) {
        ADD_INTO.run(dst, delta);
    }

    /**
     * {@code dst[...] = src} in place, for tensors of the same shape (src cast to dst's dtype), trainable weights
     * included. This replaces DJL's {@code NDArray.set(Buffer)}, whose native side runs under libtorch's deprecated
     * AutoNonVariableTypeMode guard (a warning on the terminal) and points the tensor at the Java buffer's memory.
     */
    public static void copyInto(NDArray dst, NDArray src) {
        COPY_INTO.run(dst, src);
    }

    /** {@code x} in memory of its own, row-major, in {@code x}'s manager. */
    static NDArray ownCopy(NDArray x) {
        return OWN_COPY.tensor(x.getManager(), x);
    }

    /** Whether {@code x} holds bfloat16 (the dtype DJL cannot name). */
    public static boolean isBfloat16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }
}
