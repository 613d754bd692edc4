package absorb.cli;

import absorb.AbsorbException;
import absorb.io.RunFolder;
import absorb.news.NewsItem;
import absorb.news.NewsTraining;
import absorb.news.Prompts;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune on System-2 data (a folder newnews generate wrote), all news at once; LoRA by default;"
                + " --shadowing prefixes the news to every example.")
final class NewsTrainCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model folder.")
    Path model;

    @Option(names = "--generated", required = true, paramLabel = "DIR", description = "Output folder of newnews generate.")
    Path generated;

    @Option(names = "--shadowing", description = "Prefix the news to every training example (contextual shadowing).")
    boolean shadowing;

    @Mixin
    NewsTrainOptions training;

    @Mixin
    NewsOptions news;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (the adapter or model).")
    Path out;

    @Option(names = "--resume", description = "Continue an interrupted training in --out.")
    boolean resume;

    @Mixin
    ThreadOptions threads;

    /** The run's settings in its output folder. */
    static final String RUN_FILE = "newnews_train.json";

    @Override
    public Integer call() {
        Path train = generated.resolve("train.jsonl");
        if (!Files.isRegularFile(train)) {
            throw new AbsorbException("--generated " + generated + " holds no train.jsonl; run newnews generate first.");
        }
        TrainConfig base = training.config(model);
        List<NewsItem> items = news.items();
        Prompts prompts = news.prompts();
        threads.apply();
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("command", "newnews train");
        config.put("model", model.toAbsolutePath().normalize().toString());
        config.put("generated", generated.toAbsolutePath().normalize().toString());
        config.put("shadowing", shadowing);
        config.set("training", NewsTraining.describe(base));
        news.describe(config);
        // config.json in a model folder is the model's: the run's settings go beside it
        RunFolder.prepare(out, RUN_FILE, config, resume, "newnews train", List.of());
        Path data = out.resolve("data.jsonl");
        int n = NewsTraining.prepareData(train, items, prompts, shadowing, data);
        System.err.println(n + " training examples" + (shadowing ? ", the news prefixed to each" : "") + ".");
        TrainConfig c = base.withData(base.data().withFile(data).withOut(out)).withRun(base.run().withResume(resume));
        Trainer.Result r = new Trainer(c, new FinetuneCommand.Progress(10)).run();
        if (r.interrupted()) return 130;
        System.out.printf(Locale.ROOT, "done: %d steps, final loss %.4f, %,d tokens; %s written to %s%n", r.steps(),
                r.finalLoss(), r.tokens(), c.lora().enabled() ? "adapter" : "model", out);
        return 0;
    }
}
