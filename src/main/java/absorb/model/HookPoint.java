package absorb.model;

import absorb.AbsorbException;
import java.util.ArrayList;
import java.util.List;

/**
 * Names of the places in the forward pass that absorb reads and writes, used alike by the CLI, JSON outputs and plots;
 * TransformerLens's names without its {@code hook_} prefix:
 * <ul>
 *   <li>{@code embed}: token embeddings [batch, seq, hidden];</li>
 *   <li>{@code blocks.{i}.resid_pre}: block i's input (the same tensor as {@code blocks.{i-1}.resid_post}, or
 *       {@code embed} for block 0; TransformerLens's hook_resid_pre);</li>
 *   <li>{@code blocks.{i}.attn.pattern}: the attention probabilities [batch, head, query, key] (hook_pattern);</li>
 *   <li>{@code blocks.{i}.attn.z}: each head's output before the output projection [batch, pos, head, head_dim]
 *       (hook_z);</li>
 *   <li>{@code blocks.{i}.attn_out}: o_proj of z [batch, seq, hidden];</li>
 *   <li>{@code blocks.{i}.resid_mid}: resid_pre + attn_out, the MLP's input;</li>
 *   <li>{@code blocks.{i}.mlp_out}: the MLP's output;</li>
 *   <li>{@code blocks.{i}.resid_post}: resid_mid + mlp_out, block i's output, before any norm;</li>
 *   <li>{@code final_norm}: the last block's output after the final RMSNorm.</li>
 * </ul>
 * transformers' output_hidden_states is [embed, blocks.0.resid_post, ..., blocks.{L-2}.resid_post, final_norm].
 */
public final class HookPoint {
    public static final String EMBED = "embed";
    public static final String FINAL_NORM = "final_norm";

    /** What a hook point is, in the order a block computes it. */
    public enum Site {
        EMBED("embed"), RESID_PRE("resid_pre"), PATTERN("attn.pattern"), Z("attn.z"), ATTN_OUT("attn_out"),
        RESID_MID("resid_mid"), MLP_OUT("mlp_out"), RESID_POST("resid_post"), FINAL_NORM("final_norm");

        /** The name after {@code blocks.{i}.} (or the whole name for embed and final_norm). */
        public final String suffix;

        Site(String suffix) {
            this.suffix = suffix;
        }

        /** Computed inside a block, between its kernel steps (the hooked block path). */
        public boolean insideBlock() {
            return this == PATTERN || this == Z || this == ATTN_OUT || this == RESID_MID || this == MLP_OUT;
        }

        /** Has a head axis: attn.pattern (axis 1) and attn.z (axis 2). */
        public boolean perHead() {
            return this == PATTERN || this == Z;
        }

        /** [batch, seq, hidden], a point on the residual stream or added to it. */
        public boolean residualShaped() {
            return !perHead();
        }
    }

    /** A parsed hook point: its site and block (-1 for embed, the layer count for final_norm). */
    public record At(String name, Site site, int layer) {}

    private HookPoint() {}

    public static String residPost(int layer) {
        return "blocks." + layer + ".resid_post";
    }

    public static String residPre(int layer) {
        return "blocks." + layer + ".resid_pre";
    }

    public static String residMid(int layer) {
        return "blocks." + layer + ".resid_mid";
    }

    public static String attnOut(int layer) {
        return "blocks." + layer + ".attn_out";
    }

    public static String mlpOut(int layer) {
        return "blocks." + layer + ".mlp_out";
    }

    public static String attnPattern(int layer) {
        return "blocks." + layer + ".attn.pattern";
    }

    public static String attnZ(int layer) {
        return "blocks." + layer + ".attn.z";
    }

    /** The name of {@code site} in block {@code layer}. */
    public static String of(Site site, int layer) {
        if (site == Site.EMBED) return EMBED;
        if (site == Site.FINAL_NORM) return FINAL_NORM;
        return "blocks." + layer + "." + site.suffix;
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

    /** Whether {@code point} is one of transformers' hidden states (embed, a resid_post, final_norm). */
    public static boolean isHiddenState(String point) {
        return point.equals(EMBED) || point.equals(FINAL_NORM)
                || (point.startsWith("blocks.") && point.endsWith(".resid_post"));
    }

    /** Every hook point of a model with {@code layers} blocks, in the order a forward pass reaches them. */
    public static List<String> all(int layers) {
        List<String> out = new ArrayList<>(List.of(EMBED));
        for (int i = 0; i < layers; i++) {
            for (Site s : Site.values()) if (s != Site.EMBED && s != Site.FINAL_NORM) out.add(of(s, i));
        }
        out.add(FINAL_NORM);
        return out;
    }

    /** Parses {@code point}; refuses a name that is not a hook point of this model, listing the valid ones. */
    public static At parse(String point, int layers) {
        if (point.equals(EMBED)) return new At(point, Site.EMBED, -1);
        if (point.equals(FINAL_NORM)) return new At(point, Site.FINAL_NORM, layers);
        if (point.startsWith("blocks.")) {
            int dot = point.indexOf('.', 7);
            if (dot > 7) {
                String rest = point.substring(dot + 1);
                for (Site s : Site.values()) {
                    if (s == Site.EMBED || s == Site.FINAL_NORM || !s.suffix.equals(rest)) continue;
                    try {
                        int i = Integer.parseInt(point.substring(7, dot));
                        if (i >= 0 && i < layers) return new At(point, s, i);
                    } catch (NumberFormatException ignored) {
                        // falls through to the error
                    }
                }
            }
        }
        throw new AbsorbException("Hook point " + point + " does not exist in a " + layers + "-layer model; the hook"
                + " points are " + validNames(layers) + ".");
    }

    /** The valid names in words: embed, blocks.{0..L-1}.resid_pre, ..., final_norm. */
    public static String validNames(int layers) {
        StringBuilder s = new StringBuilder(EMBED);
        String range = layers == 1 ? "0" : "{0.." + (layers - 1) + "}";
        for (Site site : Site.values()) {
            if (site == Site.EMBED || site == Site.FINAL_NORM) continue;
            s.append(", blocks.").append(range).append('.').append(site.suffix);
        }
        return s.append(" and ").append(FINAL_NORM).toString();
    }

    /**
     * The block index of a point on the residual stream ([batch, seq, hidden]: not attn.pattern or attn.z), -1 for
     * embed, {@code layers} for final_norm.
     */
    public static int layerOf(String point, int layers) {
        At at = parse(point, layers);
        if (!at.site().residualShaped()) {
            throw new AbsorbException("Hook point " + point + " is not on the residual stream; use embed, final_norm or"
                    + " a block's resid_pre, attn_out, resid_mid, mlp_out or resid_post.");
        }
        return at.layer();
    }
}
