package absorb.model;

import java.nio.file.Path;

/** A model folder loaded whole: the transformer, its tokenizer and its generation defaults. */
public record LanguageModel(Path dir, Transformer transformer, Tokenizer tokenizer, GenerationConfig generation)
        implements AutoCloseable {

    public static LanguageModel load(Path dir, Compute compute) {
        return load(dir, null, compute);
    }

    /** The model in {@code dir}, with the PEFT LoRA adapter in {@code adapter} applied when not null. */
    public static LanguageModel load(Path dir, Path adapter, Compute compute) {
        ModelConfig config = Checkpoint.config(dir);
        if (adapter != null) LoraAdapter.checkBase(adapter, dir);
        Tokenizer tokenizer = Tokenizer.load(dir);
        try {
            Transformer transformer = Checkpoint.load(dir, config, compute);
            if (adapter != null) {
                try {
                    LoraAdapter.load(adapter, transformer);
                } catch (RuntimeException e) {
                    transformer.close();
                    throw e;
                }
            }
            return new LanguageModel(dir, transformer, tokenizer, GenerationConfig.read(dir, config));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * The model in {@code dir} with its weights replaced by random ones (normal, std 0.02; norms 1; seeded), its
     * tokenizer and configuration kept: a baseline with the same architecture and none of the training.
     */
    public static LanguageModel randomInit(Path dir, Compute compute, long seed) {
        ModelConfig config = Checkpoint.config(dir);
        Tokenizer tokenizer = Tokenizer.load(dir);
        try {
            return new LanguageModel(dir, Transformer.random(config, compute, seed), tokenizer,
                    GenerationConfig.read(dir, config));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return transformer.config();
    }

    @Override
    public void close() {
        transformer.close();
        tokenizer.close();
    }
}
