package absorb.cli;

import absorb.news.NewsTraining;
import absorb.train.TrainConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The fine-tuning settings of the New News pipeline (defaults: {@link NewsTraining#defaults}). */
final class NewsTrainOptions {
    @Option(names = "--full", description = "Fine-tune every weight instead of a LoRA adapter.")
    boolean full;

    @Option(names = "--lora-rank", paramLabel = "R", description = "LoRA rank (16); alpha is twice the rank.")
    Integer rank;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (1e-3 for LoRA, 1e-5 full).")
    Double lr;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the generated data (10).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "B", description = "Examples per optimizer step (8).")
    Integer batchSize;

    @Option(names = "--max-length", paramLabel = "N", description = "Tokens per example (1024; longer ones are cut).")
    Integer maxLength;

    @Option(names = "--anchor-decay", paramLabel = "A", description = "Decay toward the starting weights: p += lr * A *"
            + " (p_start - p) after each step (0).")
    Double anchorDecay;

    @Option(names = "--hold-absent-tokens", description = "With --full, keep the embedding rows of the tokens absent from"
            + " the training data where they are.")
    boolean holdAbsent;

    @Option(names = "--train-seed", paramLabel = "S", description = "Seed of shuffling and adapter initialisation (0).")
    Long seed;

    @Option(names = "--deterministic", description = "One thread and per-step seeds: a training killed and resumed ends"
            + " with the weights of one never interrupted.")
    boolean deterministic;

    TrainConfig config(Path model) {
        TrainConfig c = NewsTraining.defaults(model, null, null);
        TrainConfig.Lora lora = full ? TrainConfig.Lora.OFF
                : rank != null ? c.lora().withRank(rank).withAlpha(2.0 * rank) : c.lora();
        TrainConfig.Optimizer o = c.optimizer().withLr(lr != null ? lr : full ? 1e-5 : c.optimizer().lr())
                .withHoldAbsentTokens(holdAbsent);
        if (anchorDecay != null) o = o.withAnchorDecay(anchorDecay);
        TrainConfig.Run r = c.run();
        if (epochs != null) r = r.withEpochs(epochs);
        if (batchSize != null) r = r.withBatch(batchSize, 1);
        if (seed != null) r = r.withSeed(seed);
        if (deterministic) r = r.withDeterministic(true);
        TrainConfig.Data d = maxLength != null ? c.data().withMaxLength(maxLength) : c.data();
        return new TrainConfig(d, lora, o, r);
    }
}
