package absorb.train;

import absorb.runtime.Kernel;
import absorb.runtime.TorchScript;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/** The output layer's loss and its gradients, and the tied embeddings' row gradients, in {@code absorb/train/loss.py}. */
public final class LossKernels {
    private static final TorchScript SCRIPT = TorchScript.load("absorb/train/loss.py");
    private static final Kernel SELECT_ROWS = SCRIPT.kernel("select_rows", Kernel.Mode.COMPUTES);
    private static final Kernel HEAD_GRADIENTS = SCRIPT.kernel("head_gradients", Kernel.Mode.WRITES_GRADIENTS);
    private static final Kernel HEAD_BACKWARD = SCRIPT.kernel("head_backward", Kernel.Mode.COMPUTES);
    private static final Kernel EMBEDDING_ROWS = SCRIPT.kernel("embedding_rows", Kernel.Mode.WRITES_GRADIENTS);
    private static final Kernel ADD_EMBEDDING_GRADS = SCRIPT.kernel("add_embedding_grads", Kernel.Mode.WRITES_GRADIENTS);

    private LossKernels() {}

    /** The flattened positions {@code rows} (int64 [n]) of {@code hidden} [..., width], as [n, width]. */
    public static NDArray selectRows(NDArray hidden, NDArray rows) {
        return SELECT_ROWS.tensor(hidden.getManager(), hidden, rows);
    }

    /**
     * The summed cross-entropy of lm_head(h) for the rows {@code h} [n, width] against {@code labels} (int64 [n]), with
     * its gradients times {@code scale}: [loss, dL/dh, dL/dW or empty]; see the kernel. {@code head} is lm_head's
     * weight as stored; when it already has a gradient, dL/dW is added to that and the third result is empty.
     * {@code work}: a flat float32 buffer of at least [rows, vocab] the logits may use (empty: none).
     */
    public static NDArray[] headGradients(NDArray h, NDArray labels, NDArray head, boolean transposed, double scale,
            boolean weightGrad, NDArray work) {
        PtNDArray grad = weightGrad ? JniUtils.getGradient((PtNDArray) head) : null;
        try (NDArray none = grad == null ? h.getManager().create(new Shape(0), DataType.FLOAT32) : null) {
            NDArray acc = grad != null ? grad : none;
            return HEAD_GRADIENTS.tuple(h.getManager(), h, labels, head, transposed, scale, weightGrad, work, acc);
        } finally {
            if (grad != null) grad.close();
        }
    }

    /**
     * Backpropagates {@code gh} from {@code h} through the model, and adds {@code gw} (if not empty) to {@code head}'s
     * gradient.
     */
    public static void headBackward(NDArray h, NDArray gh, NDArray head, NDArray gw) {
        HEAD_BACKWARD.run(h, gh, head, gw);
    }

    /** Embedding rows of {@code ids}, outside autograd, in {@code scope}. */
    public static NDArray embeddingRows(NDManager scope, NDArray ids, NDArray table, boolean transposed) {
        return EMBEDDING_ROWS.tensor(scope, ids, table, transposed);
    }

    /** Adds each token's embedding-row gradient into {@code table}'s gradient (which must exist). */
    public static void addEmbeddingGrads(NDArray table, NDArray ids, NDArray rowsGrad, boolean transposed) {
        ADD_EMBEDDING_GRADS.run(table, ids, rowsGrad, transposed);
    }
}
