package absorb.cli;

import absorb.news.Sys2Generation;
import picocli.CommandLine.Option;

/** How System-2 data is sampled. */
final class GenerationOptions {
    @Option(names = "--preset", defaultValue = "default", paramLabel = "P",
            description = "Samples per news item: quick (8), default (64) or paper (1,024, as the study).")
    String preset;

    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T", description = "Sampling temperature (1.0).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P", description = "Nucleus sampling (0.95).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed (0).")
    long seed;

    @Option(names = "--max-tokens", defaultValue = "256", paramLabel = "N",
            description = "Token budget of a paraphrase, implication or answer (256); questions get 64.")
    int maxTokens;

    Sys2Generation.Settings settings(Integer samples) {
        Sys2Generation.Settings s = Sys2Generation.Settings.preset(preset).withSampling(temperature, topP, seed)
                .withBudgets(maxTokens, 64);
        return samples != null ? s.withSamples(samples) : s;
    }
}
