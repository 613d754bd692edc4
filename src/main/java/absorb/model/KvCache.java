package absorb.model;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.Arrays;

/**
 * Keys and values of every layer for the positions seen so far ([batch, kv_heads, positions, head_dim]), with
 * which of those positions are real tokens (not padding) and how many real tokens each row has seen, so that a
 * continued forward pass numbers its positions and masks its keys exactly as one pass over the whole sequence.
 * The tensors live in two libtorch lists (one entry per layer, empty before the first pass) that the block kernel
 * reads and extends in place, so a decoding step hands them over without a call per layer.
 */
public final class KvCache implements AutoCloseable {
    private final IValue keys;
    private final IValue values;
    private final int batch;
    private boolean[][] keyMask;
    private final int[] realTokens;
    private int length;

    /** A cache of the given layer lists (which it now owns), masks and real-token counts. */
    KvCache(IValue keys, IValue values, boolean[][] keyMask, int[] realTokens, int length) {
        this.keys = keys;
        this.values = values;
        this.batch = keyMask.length;
        this.keyMask = keyMask;
        this.realTokens = realTokens;
        this.length = length;
    }

    /**
     * A new cache of {@code rows} rows, each a copy of this one-row cache: several continuations of one context share
     * the context's keys and values, computed once.
     */
    public KvCache repeat(NDManager scope, int rows) {
        if (batch != 1) throw new IllegalStateException("only a one-row cache is repeated");
        boolean[][] mask = new boolean[rows][];
        int[] real = new int[rows];
        for (int r = 0; r < rows; r++) {
            mask[r] = keyMask[0].clone();
            real[r] = realTokens[0];
        }
        IValue k = DecoderKernels.REPEAT_ROWS.call(keys, rows), v = DecoderKernels.REPEAT_ROWS.call(values, rows);
        return new KvCache(k, v, mask, real, length);
    }

    public KvCache(NDManager parent, int layers, int batch) {
        try (NDManager scope = parent.newSubManager()) {
            PtNDArray[] none = new PtNDArray[layers];
            Arrays.fill(none, (PtNDArray) scope.create(new float[0]));
            this.keys = IValue.listFrom(none);
            this.values = IValue.listFrom(none);
        }
        this.batch = batch;
        this.keyMask = new boolean[batch][0];
        this.realTokens = new int[batch];
    }

    public int length() {
        return length;
    }

    public int batch() {
        return batch;
    }

    int realTokens(int row) {
        return realTokens[row];
    }

    boolean[][] keyMask() {
        return keyMask;
    }

    /** Every layer's keys, as the block kernel takes and extends them. */
    IValue keys() {
        return keys;
    }

    IValue values() {
        return values;
    }

    /** Records the step's padding mask once all layers have appended. */
    void advance(boolean[][] stepMask) {
        int steps = stepMask[0].length;
        for (int b = 0; b < batch; b++) {
            boolean[] grown = Arrays.copyOf(keyMask[b], length + steps);
            for (int t = 0; t < steps; t++) {
                grown[length + t] = stepMask[b][t];
                if (stepMask[b][t]) realTokens[b]++;
            }
            keyMask[b] = grown;
        }
        length += steps;
    }

    @Override
    public void close() {
        keys.close();
        values.close();
    }
}
