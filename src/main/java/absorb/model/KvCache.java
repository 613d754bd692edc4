package absorb.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * Keys and values of every layer for the positions seen so far ([batch, kv_heads, positions, head_dim]), with
 * which of those positions are real tokens (not padding) and how many real tokens each row has seen, so that a
 * continued forward pass numbers its positions and masks its keys exactly as one pass over the whole sequence.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batch;
    private boolean[][] keyMask;
    private final int[] realTokens;
    private int length;

    public KvCache(NDManager parent, int layers, int batch) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
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

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces one layer's keys and values with {@code k} and {@code v} (the old ones extended), taking them over. */
    void put(int layer, NDArray k, NDArray v) {
        k.attach(manager);
        v.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = k;
        values[layer] = v;
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
        manager.close();
    }
}
