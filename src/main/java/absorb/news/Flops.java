package absorb.news;

/**
 * The compute of a stage in floating-point operations, counted from the parameters N and the tokens T as is usual
 * for transformers (attention's own arithmetic left out): a forward pass is 2 N T; full fine-tuning 6 N T (forward,
 * and a backward twice as costly); LoRA 4 N T + 6 A T for A adapter parameters (the frozen weights take part in the
 * forward pass and in the backward pass to the inputs, 2 N T each, but get no weight gradient; the adapters get all
 * three).
 */
public final class Flops {
    private Flops() {}

    public static double forward(long parameters, long tokens) {
        return 2.0 * parameters * tokens;
    }

    public static double fullTraining(long parameters, long tokens) {
        return 6.0 * parameters * tokens;
    }

    public static double loraTraining(long parameters, long adapterParameters, long tokens) {
        return 4.0 * parameters * tokens + 6.0 * adapterParameters * tokens;
    }
}
