package absorb.cli;

import absorb.AbsorbException;
import absorb.model.Compute;
import absorb.model.GenerationConfig;
import absorb.model.Generator;
import absorb.model.LanguageModel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a completion for a prompt (streamed as it is produced), or for several prompts at once.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT",
            description = "The prompt; repeat the option to generate for several prompts as one batch.")
    List<String> prompts;

    @Option(names = "--chat", description = "Wrap each prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message (with --chat).")
    String system;

    @Option(names = "--max-new-tokens", defaultValue = "128", paramLabel = "N", description = "Token budget (default 128).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature; 0 is greedy. Default: the model's generation_config.json, else greedy.")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0: all).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (1: off).")
    Double topP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "Penalty on tokens already present (1: off).")
    Double repetitionPenalty;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed for sampling (default 0).")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when this text appears (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Mixin
    Options options;

    @Override
    public Integer call() {
        Compute compute = options.compute();
        try (LanguageModel lm = LanguageModel.load(model, adapter, compute)) {
            List<long[]> ids = new ArrayList<>();
            for (String p : prompts) ids.add(Prompts.encode(lm.tokenizer(), p, chat, system));
            Generator.Settings s = settings(lm.generation());
            int longest = ids.stream().mapToInt(a -> a.length).max().orElse(0);
            if (longest + maxNewTokens > lm.config().maxPositionEmbeddings()) {
                System.err.printf("absorb: warning: %d prompt tokens + %d new exceed the model's context length %d%n",
                        longest, maxNewTokens, lm.config().maxPositionEmbeddings());
            }
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            Generator generator = new Generator(lm.transformer(), lm.tokenizer());
            if (ids.size() == 1) {
                generator.generate(ids.get(0), s, (row, delta) -> out.print(delta));
                out.println();
            } else {
                List<Generator.Result> results = generator.generate(ids, s, null);
                for (int i = 0; i < results.size(); i++) {
                    out.println("[" + (i + 1) + "] " + results.get(i).text());
                }
            }
        }
        return 0;
    }

    /** Options given on the command line win; the rest come from generation_config.json (transformers' defaults). */
    private Generator.Settings settings(GenerationConfig g) {
        if (maxNewTokens < 1) throw new AbsorbException("--max-new-tokens must be at least 1, not " + maxNewTokens + ".");
        double t = temperature != null ? temperature : (g.doSample() ? g.temperature() : 0);
        return new Generator.Settings(maxNewTokens, t, topK != null ? topK : g.topK(), topP != null ? topP : g.topP(),
                repetitionPenalty != null ? repetitionPenalty : g.repetitionPenalty(), seed, g.eosTokenIds(), stops);
    }
}
