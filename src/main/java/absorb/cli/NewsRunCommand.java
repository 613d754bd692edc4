package absorb.cli;

import absorb.io.RunFolder;
import absorb.model.ChatModel;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.news.NewsExperiment;
import absorb.news.NewsItem;
import absorb.news.NewsResults;
import absorb.news.NewsSets;
import absorb.news.Prompts;
import absorb.news.Sys2Generation;
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

@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The New News experiment: no-news and ICL baselines; for each System-2 protocol generate ->"
                + " fine-tune -> evaluate without the news; contextual shadowing; ICL after fine-tuning; retention; compute."
                + " Every stage is cached: a rerun resumes and redoes only what changed.")
final class NewsRunCommand implements Callable<Integer> {
    /** The control questions shipped with absorb, relative to its folder. */
    static final Path BUNDLED_CONTROL = Path.of("data/newnews/control.jsonl");

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder.")
    Path model;

    @Option(names = "--generator", paramLabel = "DIR", description = "Another model to write the System-2 data.")
    Path generator;

    @Option(names = "--generator-url", paramLabel = "URL",
            description = "Write the System-2 data with the model served at this OpenAI-compatible URL.")
    String generatorUrl;

    @Option(names = "--generator-model", paramLabel = "NAME", description = "The served generator's name.")
    String generatorModel;

    @Option(names = "--eval-url", paramLabel = "URL",
            description = "Ask the baselines (no news, ICL, options only, control) through the model served at this URL"
                    + " (the base model served elsewhere); fine-tuned models are asked in this process.")
    String evalUrl;

    @Option(names = "--eval-model", paramLabel = "NAME", description = "The served base model's name (with --eval-url).")
    String evalModel;

    @Mixin
    ApiOptions api;

    @Option(names = "--protocols", split = ",", defaultValue = "naive,paraphrase,implication,self-qa", paramLabel = "LIST",
            description = "Protocols (default naive,paraphrase,implication,self-qa).")
    List<String> protocols;

    @Option(names = "--samples", split = ",", paramLabel = "N[,N...]",
            description = "Samples per item (overrides --preset); several values train each protocol on the first N"
                    + " samples of each item, for accuracy against compute.")
    List<Integer> samples;

    @Option(names = "--shadowing", description = "Also train each protocol with the news prefixed to its examples.")
    boolean shadowing;

    @Option(names = "--control", paramLabel = "FILE",
            description = "Control questions for the retention check (default data/newnews/control.jsonl when present).")
    Path control;

    @Mixin
    NewsOptions news;

    @Mixin
    GenerationOptions generation;

    @Mixin
    ScoringOptions scoring;

    @Mixin
    NewsTrainOptions training;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out; stages whose inputs changed are redone.")
    boolean resume;

    @Mixin
    Options compute;

    @Override
    public Integer call() {
        List<Sys2Generation.Protocol> ps = protocols.stream().map(Sys2Generation.Protocol::parse).toList();
        List<NewsItem> items = news.items();
        Prompts prompts = news.prompts();
        Path controlFile = control != null ? control : Files.isRegularFile(Home.resolve(BUNDLED_CONTROL))
                ? Home.resolve(BUNDLED_CONTROL) : null;
        List<NewsItem> controls = controlFile == null ? List.of() : NewsSets.load(controlFile);
        Sys2Generation.Settings gen = generation.settings(null);
        List<Integer> grid = samples != null ? samples : List.of(gen.samples());
        Compute c = compute.compute();
        if (generator != null && generatorUrl != null) {
            throw new absorb.AbsorbException("Give --generator DIR or --generator-url URL, not both.");
        }
        if (!resume && (generatorUrl != null || evalUrl != null) && Files.isRegularFile(out.resolve("config.json"))) {
            throw new absorb.AbsorbException("Output folder " + out + " already holds a newnews run run; pass --resume to"
                    + " continue it, or choose another --out.");
        }
        try (LocalModels models = new LocalModels(model, generator, c, scoring.batch,
                generatorUrl == null ? null : api.model("generator", generatorUrl, generatorModel, out),
                evalUrl == null ? null : api.model("eval", evalUrl, evalModel, out))) {
            NewsExperiment.Settings s = new NewsExperiment.Settings(ps, grid, gen,
                    scoring.settings(new LocalChatModel(models.base(), scoring.batch)), training.config(model), shadowing,
                    true, scoring.batch);
            ObjectMapper json = new ObjectMapper();
            ObjectNode identity = json.createObjectNode();
            identity.put("model", model.toAbsolutePath().normalize().toString());
            identity.put("model_sha256", absorb.io.Hashes.sha256(model.resolve("config.json")));
            identity.put("dtype", compute.dtype);
            news.describe(identity);
            if (controlFile != null) identity.put("control_sha256", absorb.io.Hashes.sha256(controlFile));
            ObjectNode config = identity.deepCopy();
            config.put("command", "newnews run");
            config.put("protocols", String.join(",", ps.stream().map(p -> p.label).toList()));
            config.put("samples", grid.toString());
            config.put("shadowing", shadowing);
            config.set("generation", json.valueToTree(gen));
            config.put("scoring", s.scoring().scoring().label());
            config.put("permutations", s.scoring().permutations());
            config.set("training", absorb.news.NewsTraining.describe(s.training()));
            if (generator != null) config.put("generator", generator.toAbsolutePath().normalize().toString());
            if (generatorUrl != null) ApiOptions.describe(config, "generator", generatorUrl, generatorModel, api);
            if (evalUrl != null) ApiOptions.describe(config, "eval", evalUrl, evalModel, api);
            RunFolder.prepare(out, config, resume, "newnews run", List.of());
            if (resume) absorb.io.AtomicFile.writeString(out.resolve("config.json"), config.toPrettyString());
            NewsResults r = NewsExperiment.run(models, items, controls, prompts, s, identity, out, System.err::println);
            System.out.printf(Locale.ROOT, "no news %.3f, ICL %.3f, options only %.3f%n", r.noNews(), r.icl(),
                    r.optionsOnly());
            for (NewsExperiment.Trained t : r.trained()) {
                System.out.printf(Locale.ROOT, "%-24s %.3f without the news%s%n", t.name(), t.noNews(),
                        Double.isNaN(t.iclAfter()) ? "" : String.format(Locale.ROOT, ", ICL after %.3f", t.iclAfter()));
            }
            System.out.println("wrote " + out.resolve("report.html"));
        } catch (NewsExperiment.Interrupted e) {
            System.err.println(e.getMessage());
            return 130;
        }
        return 0;
    }

    /** The base model loaded here, and the generator (the base model unless another folder is named). */
    static final class LocalModels implements NewsExperiment.Models {
        private final Path dir;
        private final LanguageModel base;
        private final ChatModel generator;
        private final ChatModel otherGenerator;
        private final ChatModel baseline;

        LocalModels(Path dir, Path generatorDir, Compute compute, int batch) {
            this(dir, generatorDir, compute, batch, null, null);
        }

        /** With a remote generator and a remote baseline model (either may be null: the local ones). */
        LocalModels(Path dir, Path generatorDir, Compute compute, int batch, ChatModel remoteGenerator, ChatModel remoteBaseline) {
            this.dir = dir;
            this.baseline = remoteBaseline;
            try {
                this.base = LanguageModel.load(dir, null, compute);
            } catch (RuntimeException e) {
                if (remoteGenerator != null) remoteGenerator.close();
                if (remoteBaseline != null) remoteBaseline.close();
                throw e;
            }
            this.otherGenerator = remoteGenerator != null ? remoteGenerator
                    : generatorDir == null ? null : LocalChatModel.open(generatorDir, null, compute, batch);
            this.generator = otherGenerator != null ? otherGenerator : new LocalChatModel(base, batch);
        }

        @Override
        public ChatModel baseline() {
            return baseline;
        }

        @Override
        public LanguageModel base() {
            return base;
        }

        @Override
        public ChatModel generator() {
            return generator;
        }

        @Override
        public Path baseDir() {
            return dir;
        }

        @Override
        public void close() {
            if (otherGenerator != null) otherGenerator.close();
            if (baseline != null) baseline.close();
            base.close();
        }
    }
}
