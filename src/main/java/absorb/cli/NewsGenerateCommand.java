package absorb.cli;

import absorb.io.RunFolder;
import absorb.model.ChatModel;
import absorb.model.LocalChatModel;
import absorb.news.NewsItem;
import absorb.news.Prompts;
import absorb.news.Sys2Generation;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "System-2 Fine-Tuning data: the model, with the news in its context, writes paraphrases,"
                + " implications or question-answer pairs (self-qa), filtered and deduplicated, as finetune's JSONL.")
final class NewsGenerateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "The model (the generator by default).")
    Path model;

    @Option(names = "--generator", paramLabel = "DIR", description = "Another model to write the data.")
    Path generator;

    @Option(names = "--generator-url", paramLabel = "URL",
            description = "Write the data with the model served at this OpenAI-compatible URL (http://HOST:PORT/v1).")
    String generatorUrl;

    @Option(names = "--generator-model", paramLabel = "NAME", description = "The served generator's name.")
    String generatorModel;

    @Mixin
    ApiOptions api;

    @Option(names = "--protocol", required = true, paramLabel = "P", description = "naive, paraphrase, implication or self-qa.")
    String protocol;

    @Option(names = "--samples", paramLabel = "N", description = "Samples per news item (overrides --preset).")
    Integer samples;

    @Mixin
    GenerationOptions generation;

    @Mixin
    NewsOptions news;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Prompts decoding together (16).")
    int batch;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the generation in --out (same settings).")
    boolean resume;

    @Mixin
    Options compute;

    @Override
    public Integer call() {
        Sys2Generation.Protocol p = Sys2Generation.Protocol.parse(protocol);
        Sys2Generation.Settings s = generation.settings(samples);
        List<NewsItem> items = news.items();
        Prompts prompts = news.prompts();
        Path writer = generator != null ? generator : model;
        if ((writer == null) == (generatorUrl == null)) {
            throw new absorb.AbsorbException("Give --model DIR (or --generator DIR), or --generator-url URL with"
                    + " --generator-model NAME (one of them).");
        }
        if (generatorUrl != null && !resume && java.nio.file.Files.isRegularFile(out.resolve("config.json"))) {
            throw new absorb.AbsorbException("Output folder " + out + " already holds a newnews generate run; pass"
                    + " --resume to continue it, or choose another --out.");
        }
        try (ChatModel m = generatorUrl != null ? api.model("generator", generatorUrl, generatorModel, out)
                : LocalChatModel.open(writer, null, compute.compute(), batch)) {
            ObjectNode config = new ObjectMapper().createObjectNode();
            config.put("command", "newnews generate");
            if (writer != null) config.put("generator", writer.toAbsolutePath().normalize().toString());
            else ApiOptions.describe(config, "generator", generatorUrl, generatorModel, api);
            config.put("protocol", p.label);
            config.set("generation", new ObjectMapper().valueToTree(s));
            news.describe(config);
            RunFolder.prepare(out, config, resume, "newnews generate", List.of());
            Sys2Generation.Stats st = Sys2Generation.generate(m, items, p, prompts, s, out, System.err::println);
            System.out.println(p.label + ": " + st.kept() + " of " + st.generated() + " samples kept " + st.verdicts()
                    + "; training data in " + out.resolve("train.jsonl"));
        }
        return 0;
    }
}
