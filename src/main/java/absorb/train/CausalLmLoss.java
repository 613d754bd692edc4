package absorb.train;

import absorb.model.Linear;
import absorb.model.TorchKernels;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The causal language-modelling loss: at each position whose next token is a target, the cross-entropy of the
 * model's prediction, summed. Logits are computed only where a target follows, so masked prompts cost no lm_head
 * time. Divide by the number of targets in the whole (accumulated) batch for the mean, as transformers' Trainer does.
 */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /** Summed cross-entropy over {@code batch}'s targets, as a scalar tensor in {@code scope}. */
    public static NDArray sum(NDManager scope, Transformer model, Batch batch) {
        Transformer.Output out = model.forward(scope, batch.ids(), batch.padding(), batch.segments(), null, null,
                Transformer.Logits.NONE);
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
        Linear head = model.lmHeadProjection();
        return TorchKernels.tokenLoss(out.finalHidden(), scope.create(positions, new Shape(n)),
                scope.create(labels, new Shape(n)), head.storedWeight(), head.isTransposed());
    }
}
