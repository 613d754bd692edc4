package absorb.train;

import absorb.AbsorbException;
import java.util.List;
import java.util.Locale;

/**
 * Learning-rate multipliers by optimizer step, as transformers' get_scheduler defines them (the multiplier for the
 * update after {@code step} completed updates, starting at 0): linear warm-up over {@code warmup} steps, then
 * constant, linear decay to 0, or cosine decay to 0 at {@code total}.
 */
public record LrSchedule(String kind, int warmup, int total) {
    public static final List<String> KINDS = List.of("constant", "linear", "cosine");

    public LrSchedule {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!KINDS.contains(kind)) {
            throw new AbsorbException("--schedule " + kind + " is not known; use " + String.join(", ", KINDS) + ".");
        }
        if (warmup < 0) throw new AbsorbException("--warmup must be at least 0, not " + warmup + ".");
    }

    public double multiplier(int step) {
        if (step < warmup) return (double) step / Math.max(1, warmup);
        return switch (kind) {
            case "constant" -> 1.0;
            case "linear" -> Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            default -> {
                double progress = (double) (step - warmup) / Math.max(1, total - warmup);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }
}
