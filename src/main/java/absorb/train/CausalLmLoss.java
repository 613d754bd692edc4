package absorb.train;

import absorb.model.Forward;
import absorb.model.Linear;
import absorb.model.Transformer;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * The causal language-modelling loss: at each position whose next token is a target, the cross-entropy of the
 * model's prediction, summed. Logits are computed only where a target follows, so masked prompts cost no lm_head
 * time. Scale by one over the number of targets in the whole (accumulated) batch for the mean, as transformers'
 * Trainer does.
 *
 * <p>The output layer's gradients are written out rather than left to autograd (see the head_gradients kernel), and
 * autograd carries them into the rest of the model. With tied embeddings that train, the token embeddings are made
 * outside autograd and their gradients added to the table's rows directly: autograd would build a dense
 * [vocab, hidden] gradient for the lookup and then add it to the output layer's.
 *
 * <p>An instance keeps the output layer's logits buffer from one pass to the next (a [targets, vocab] float32 tensor,
 * the largest a step makes): fresh memory of that size costs its page faults every step. Close it when training
 * ends.
 */
public final class CausalLmLoss implements AutoCloseable {
    private final Transformer model;
    private final NDManager manager;
    private NDArray logits;

    public CausalLmLoss(Transformer model) {
        this.model = model;
        this.manager = model.manager().newSubManager();
    }

    /** One pass with a buffer of its own (see {@link #backward(Batch, double)}). */
    public static double backward(Transformer model, Batch batch, double scale) {
        try (CausalLmLoss loss = new CausalLmLoss(model)) {
            return loss.backward(batch, scale);
        }
    }

    /**
     * One forward and backward pass over {@code batch}: gradients of {@code scale} times the summed cross-entropy
     * are added to every parameter that requires them. Returns {@code scale} times the summed cross-entropy.
     */
    public double backward(Batch batch, double scale) {
        if (batch.targets() == 0) return 0; // nothing to learn from: no loss, no gradient
        // TorchScript's own differentiation of the kernels (the graph executor's optimisation) spends more on the
        // backward of elementwise operations than libtorch's autograd does (five passes for SiLU's derivative where
        // autograd has one fused kernel): training steps run with it off, a few percent faster here
        JniUtils.setGraphExecutorOptimize(false);
        try (NDManager scope = model.compute().newManager();
                GradientCollector recording = Engine.getInstance().newGradientCollector()) { // autograd on
            Linear head = model.lmHeadProjection();
            NDArray w = head.storedWeight();
            boolean headTrains = w.hasGradient();
            NDArray ids = null, embeds = null;
            if (headTrains && model.config().tieWordEmbeddings()) {
                ids = scope.create(batch.ids());
                embeds = LossKernels.embeddingRows(scope, ids, w, head.isTransposed());
                embeds.setRequiresGradient(true);
            }
            Transformer.Output out = model.forward(scope, Forward.of(batch.ids()).withPadding(batch.padding())
                    .withSegments(batch.segments()).withLogits(Transformer.Logits.NONE).withInputEmbeds(embeds));
            int rows = batch.ids().length, width = batch.ids()[0].length;
            int n = batch.targets();
            long[] positions = new long[n];
            long[] labels = new long[n];
            int k = 0;
            for (int b = 0; b < rows; b++) {
                for (int t = 1; t < width; t++) {
                    if (!batch.target()[b][t]) continue;
                    positions[k] = (long) b * width + t - 1; // the prediction made at t - 1
                    labels[k++] = batch.ids()[b][t];
                }
            }
            NDArray h = LossKernels.selectRows(out.finalHidden(), scope.create(positions, new Shape(n)));
            NDArray[] g = LossKernels.headGradients(h, scope.create(labels, new Shape(n)), w, head.isTransposed(),
                    scale, headTrains, logitsBuffer(scope, head, n));
            LossKernels.headBackward(h, g[1], w, g[2]);
            if (embeds != null) LossKernels.addEmbeddingGrads(w, ids, embeds.getGradient(), head.isTransposed());
            return g[0].getFloat() * scale;
        } finally {
            JniUtils.setGraphExecutorOptimize(true);
        }
    }

    /**
     * The logits buffer, grown to {@code rows} rows when smaller; an empty tensor (in {@code scope}) for a head that
     * is not float32, whose logits are computed in its own dtype first and so never use it.
     */
    private NDArray logitsBuffer(NDManager scope, Linear head, int rows) {
        if (head.storedWeight().getDataType() != DataType.FLOAT32) return scope.create(new Shape(0), DataType.FLOAT32);
        long size = (long) rows * head.outFeatures();
        if (logits == null || logits.size() < size) {
            if (logits != null) logits.close();
            logits = manager.create(new Shape(size), DataType.FLOAT32);
        }
        return logits;
    }

    /** Frees the logits buffer until the next pass (as before other work that needs the memory). */
    public void releaseBuffer() {
        if (logits != null) logits.close();
        logits = null;
    }

    @Override
    public void close() {
        manager.close();
    }
}
