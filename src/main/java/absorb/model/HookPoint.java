package absorb.model;

import absorb.AbsorbException;
import java.util.ArrayList;
import java.util.List;

/**
 * Names of the places in the residual stream that absorb records, used alike by the CLI, JSON outputs and plots:
 * {@code embed} (token embeddings), {@code blocks.{i}.resid_post} (the output of block i, before any norm) and
 * {@code final_norm} (the last block's output after the final RMSNorm). transformers' output_hidden_states is
 * [embed, blocks.0.resid_post, ..., blocks.{L-2}.resid_post, final_norm].
 */
public final class HookPoint {
    public static final String EMBED = "embed";
    public static final String FINAL_NORM = "final_norm";

    private HookPoint() {}

    public static String residPost(int layer) {
        return "blocks." + layer + ".resid_post";
    }

    /** The hook point of transformers' hidden_states[index], for a model with {@code layers} blocks. */
    public static String ofHiddenState(int index, int layers) {
        if (index == 0) return EMBED;
        if (index == layers) return FINAL_NORM;
        return residPost(index - 1);
    }

    /** The hook points of hidden_states[0..layers], in order. */
    public static List<String> hiddenStates(int layers) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i <= layers; i++) out.add(ofHiddenState(i, layers));
        return out;
    }

    /** The block index of a resid_post point, -1 for embed, {@code layers} for final_norm. */
    public static int layerOf(String point, int layers) {
        if (point.equals(EMBED)) return -1;
        if (point.equals(FINAL_NORM)) return layers;
        if (point.startsWith("blocks.") && point.endsWith(".resid_post")) {
            try {
                int i = Integer.parseInt(point.substring(7, point.length() - 11));
                if (i >= 0 && i < layers) return i;
            } catch (NumberFormatException ignored) {
                // falls through to the error
            }
        }
        throw new AbsorbException("Hook point " + point + " does not exist in a " + layers + "-layer model; use embed, "
                + "blocks.0.resid_post .. blocks." + (layers - 1) + ".resid_post or final_norm.");
    }
}
