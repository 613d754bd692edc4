package absorb.model;

import absorb.runtime.Kernel;
import absorb.runtime.TorchScript;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The decoder's kernels, in {@code absorb/model/decoder.py}: RMSNorm, the product kernel, the embedding lookup, the
 * decoder blocks (all of them in one call, the KV cache extended in place; or one block in steps, for hooks inside
 * it) and the next-token head. They run as
 * TorchScript because each DJL call costs about 10 µs, which dominates one-token decoding, and because DJL has no
 * bfloat16 tensors, which TorchScript supplies.
 */
public final class DecoderKernels {
    static final TorchScript SCRIPT = TorchScript.load("absorb/model/decoder.py");
    static final Kernel RMS_NORM = SCRIPT.kernel("rms_norm", Kernel.Mode.COMPUTES);
    static final Kernel PRODUCT = SCRIPT.kernel("product", Kernel.Mode.COMPUTES);
    static final Kernel EMBEDDING = SCRIPT.kernel("embedding", Kernel.Mode.COMPUTES);
    static final Kernel LAYERS = SCRIPT.kernel("layers", Kernel.Mode.COMPUTES);
    static final Kernel LAST_LOGITS = SCRIPT.kernel("last_logits", Kernel.Mode.COMPUTES);
    static final Kernel SAMPLE_NEXT = SCRIPT.kernel("sample_next", Kernel.Mode.COMPUTES);
    static final Kernel REPEAT_ROWS = SCRIPT.kernel("repeat_rows", Kernel.Mode.COMPUTES);
    /** The hooked block, in steps (see Transformer.hookedBlock), and the writes at hook points. */
    static final Kernel ATTENTION_HEADS = SCRIPT.kernel("attention_heads", Kernel.Mode.COMPUTES);
    static final Kernel ATTENTION_PATTERN = SCRIPT.kernel("attention_pattern", Kernel.Mode.COMPUTES);
    static final Kernel PATTERN_VALUES = SCRIPT.kernel("pattern_values", Kernel.Mode.COMPUTES);
    static final Kernel ATTENTION_OUTPUT = SCRIPT.kernel("attention_output", Kernel.Mode.COMPUTES);
    static final Kernel MLP_OUTPUT = SCRIPT.kernel("mlp_output", Kernel.Mode.COMPUTES);
    static final Kernel REPLACE_PART = SCRIPT.kernel("replace_part", Kernel.Mode.COMPUTES);
    static final Kernel CACHE_ROWS = SCRIPT.kernel("cache_rows", Kernel.Mode.COMPUTES);
    static final Kernel CACHE_CAT = SCRIPT.kernel("cache_cat", Kernel.Mode.COMPUTES);
    static final Kernel SAMPLE_ROWS = SCRIPT.kernel("sample_rows", Kernel.Mode.COMPUTES);
    static final Kernel TOKEN_LOGPROBS = SCRIPT.kernel("token_logprobs", Kernel.Mode.COMPUTES);

    private DecoderKernels() {}

    /** RMSNorm as transformers computes it (float32 inside, cast back, then the weight). */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        return RMS_NORM.tensor(x.getManager(), x, weight, eps);
    }

    /** x W^T + b for W stored as {@code weight} ([in, out] when transposed); {@code bias} empty when absent. */
    static NDArray product(NDArray x, NDArray weight, NDArray bias, boolean transposed) {
        return PRODUCT.tensor(x.getManager(), x, weight, bias, transposed);
    }

    /** Embedding rows of {@code ids} ([vocab, hidden] table, or [hidden, vocab] when transposed), in {@code scope}. */
    static NDArray embedding(NDManager scope, NDArray ids, NDArray table, boolean transposed) {
        return EMBEDDING.tensor(scope, ids, table, transposed);
    }
}
