package absorb.model;

import java.util.Arrays;
import java.util.List;

/**
 * A decoder block's seven projections, in the order the block computes them, named as transformers names them: the
 * module relative to the block ({@code self_attn.q_proj}) and its last part ({@code q_proj}, what PEFT's
 * {@code target_modules} lists).
 */
public enum Projection {
    Q_PROJ("self_attn.q_proj"),
    K_PROJ("self_attn.k_proj"),
    V_PROJ("self_attn.v_proj"),
    O_PROJ("self_attn.o_proj"),
    GATE_PROJ("mlp.gate_proj"),
    UP_PROJ("mlp.up_proj"),
    DOWN_PROJ("mlp.down_proj");

    /** The module's name relative to the block. */
    public final String module;
    /** The module's last dotted part. */
    public final String shortName;

    Projection(String module) {
        this.module = module;
        this.shortName = module.substring(module.indexOf('.') + 1);
    }

    /** The module's full name in layer {@code layer}: {@code model.layers.3.self_attn.q_proj}. */
    public String moduleIn(int layer) {
        return "model.layers." + layer + "." + module;
    }

    /** Every short name, in order: the LoRA targets absorb knows. */
    public static final List<String> SHORT_NAMES = Arrays.stream(values()).map(p -> p.shortName).toList();

    /** The projection with this short name, or null. */
    public static Projection ofShortName(String name) {
        for (Projection p : values()) if (p.shortName.equals(name)) return p;
        return null;
    }
}
