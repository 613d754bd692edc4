package absorb.train;

import absorb.AbsorbException;

/**
 * Learning-rate multipliers by optimizer step, as transformers' get_scheduler defines them (the multiplier for the
 * update after {@code step} completed updates, starting at 0): linear warm-up over {@code warmup} steps, then
 * constant, linear decay to 0, or cosine decay to 0 at {@code total}.
 */
public record LrSchedule(TrainConfig.Schedule kind, int warmup, int total) {

    public LrSchedule {
        if (warmup < 0) throw new AbsorbException("--warmup must be at least 0, not " + warmup + ".");
    }

    /** The schedule named as options spell it (constant, linear, cosine). */
    public LrSchedule(String kind, int warmup, int total) {
        this(TrainConfig.Schedule.parse(kind), warmup, total);
    }

    public double multiplier(int step) {
        if (step < warmup) return (double) step / Math.max(1, warmup);
        return switch (kind) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            case COSINE -> {
                double progress = (double) (step - warmup) / Math.max(1, total - warmup);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }
}
