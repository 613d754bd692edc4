package absorb.cli;

import absorb.AbsorbException;
import absorb.graphs.GraphDemo;
import absorb.news.NewsDemo;
import absorb.news.NewsItem;
import absorb.news.NewsSets;
import absorb.news.NewsTraining;
import absorb.toy.NewsWorld;
import absorb.train.TrainConfig;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.report.HtmlReport;
import absorb.report.Summary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The studies on the bundled models, offline: in-context representations of a graph (grid, ring"
                + " and hexagonal lattice runs, the attention heads' scores and the ablation of the induction heads, the"
                + " critical-context sweep with its power law, the semantic conflict); with --only news or both, New"
                + " News on the toy news world (no news, ICL, the four System-2 protocols, shadowing, ICL after"
                + " fine-tuning, retention, accuracy against compute across model sizes); one report.html and a"
                + " summary.json of the claims.")
final class DemoCommand implements Callable<Integer> {
    /** The bundled model, relative to absorb's folder. */
    static final String BUNDLED = GraphDemo.BUNDLED_MODEL;
    /** The news world's bundled models and files. */
    static final String NEWS_MODEL = "models/news-small", NEWS_SIZES = "models/news-tiny,models/news-small,models/news-base",
            NEWS_WORLD = "data/news-world";
    /**
     * The news half's fine-tuning (every weight): examples per step, epochs, peak learning rate, decay toward the
     * pretrained weights.
     */
    static final int NEWS_BATCH = 32, NEWS_EPOCHS = 5;
    static final double NEWS_LR = 2.5e-3, NEWS_ANCHOR = 12;

    /** The halves run by default: both studies, the graph study first. */
    static final String DEFAULT_HALVES = "both";

    @Option(names = "--only", paramLabel = "STUDY", defaultValue = DEFAULT_HALVES,
            description = "graphs, news or both (default: both).")
    String only;

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder (default: the bundled " + BUNDLED + ").")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Output folder (runs/demo).")
    Path out;

    @Option(names = "--context", defaultValue = "256", paramLabel = "N",
            description = "Word tokens per sequence (256, the length of most of the bundled model's training).")
    int context;

    @Option(names = "--window", defaultValue = "100", paramLabel = "N", description = "Positions per word mean (100).")
    int window;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B",
            description = "Sequences per run (64: with 16, where accuracy crosses one half moves by several positions"
                    + " between seeds, enough to decide the critical-context claims by chance).")
    int batch;

    @Option(names = "--sweep", defaultValue = "ring:6,ring:8,ring:10,ring:12,ring:16,ring:20", split = ",",
            paramLabel = "LIST", description = "Graphs of the critical-context sweep (at least four).")
    List<String> sweep;

    @Option(names = "--sweep-sampling", defaultValue = "pairs", paramLabel = "S",
            description = "Sequences of the sweep the power-law claims are measured on: pairs (independent neighbour"
                    + " pairs, the study's ring variant; default) or walk. With pairs the sweep also runs on walks, reported"
                    + " beside.")
    String sweepSampling;

    @Option(names = "--seed", defaultValue = "7", paramLabel = "S", description = "Seed for walks and word assignments (7).")
    long seed;

    @Option(names = "--robustness-seeds", defaultValue = "3", paramLabel = "N",
            description = "Measure every claim again with N more seeds (walks and word assignments) and report in how"
                    + " many it holds (3; 0 to skip).")
    int robustnessSeeds;

    @Option(names = "--news-model", paramLabel = "DIR",
            description = "The news world model the protocols are compared on (default: the bundled " + NEWS_MODEL + ").")
    Path newsModel;

    @Option(names = "--news-sizes", split = ",", paramLabel = "DIRS",
            description = "News world models of several sizes for accuracy against compute, smallest first (default:"
                    + " the bundled " + NEWS_SIZES + ").")
    List<Path> newsSizes;

    @Option(names = "--news-items", defaultValue = "15", paramLabel = "N",
            description = "News items per kind (of 15; fewer for a quick look).")
    int newsItems;

    @Option(names = "--news-samples", defaultValue = "32", paramLabel = "N",
            description = "System-2 samples per news item for the comparison of protocols (32).")
    int newsSamples;

    @Option(names = "--news-grid", defaultValue = "8,16,32", split = ",", paramLabel = "LIST",
            description = "Samples per news item of the accuracy-against-compute curves (8,16,32).")
    List<Integer> newsGrid;

    @Mixin
    ThreadOptions threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!only.equals("graphs") && !only.equals("news") && !only.equals("both")) {
            throw new AbsorbException("--only " + only + " is not a half of the demo; use graphs, news or both.");
        }
        boolean graphs = !only.equals("news"), news = !only.equals("graphs");
        PrintWriter result = spec.commandLine().getOut(); // the findings; progress goes to standard error
        GraphDemo.Settings settings = new GraphDemo.Settings(context, window, batch, sweep, sweepSampling, seed,
                robustnessSeeds);
        threads.apply();
        NewsDemo.Settings newsSettings = news ? newsSettings() : null;
        long t0 = System.nanoTime();
        Summary summary = new Summary();
        HtmlReport report = new HtmlReport(graphs && news ? "absorb demo: in-context representations of a graph, and New"
                + " News on a toy world" : graphs ? "absorb demo: in-context representations of a graph"
                : "absorb demo: New News on a toy world");
        if (graphs) {
            Path dir = model != null ? model : bundled(BUNDLED);
            summary.put("model", dir.toString());
            try (LanguageModel lm = LanguageModel.load(dir, adapter, Compute.CPU_FLOAT32)) {
                GraphDemo.run(lm, dir, adapter, settings, out, report, summary, DemoCommand::log, result::println);
            }
        }
        if (news) {
            summary.put("news_model", newsSettings.model().toString());
            long tn = System.nanoTime();
            NewsDemo.run(newsSettings, absorb.news.Prompts.load(Home.resolve(Path.of("data/newnews/prompts"))),
                    out.resolve("news"), report, summary, line -> {
                        if (line.startsWith("news.")) result.println(line);
                        else log(line);
                    });
            log(String.format(Locale.ROOT, "news: %.0f s", (System.nanoTime() - tn) / 1e9));
        }
        summary.section(report, 1, "Summary: what the demo shows", GraphDemo.summaryIntro(settings), out);
        summary.write(out.resolve("summary.json"), (System.nanoTime() - t0) / 1e9);
        report.write(out.resolve("report.html"));
        long all = summary.thresholded();
        result.println(String.format(Locale.ROOT, "%d of %d claims hold with seed %d%s; report: %s, summary: %s",
                summary.heldAtSeed(), all, seed, robustnessSeeds > 0 ? String.format(Locale.ROOT,
                        ", %d in all %d seeds", summary.heldEverywhere(), robustnessSeeds + 1) : "",
                out.resolve("report.html"), out.resolve("summary.json")));
        result.flush();
        return 0;
    }

    /** The news half's settings: the bundled news world models and files unless named. */
    private NewsDemo.Settings newsSettings() {
        if (newsItems < 1 || newsItems > 15) throw new AbsorbException("--news-items must be 1 to 15, not " + newsItems + ".");
        Path main = newsModel != null ? newsModel : bundled(NEWS_MODEL);
        // the bundled sizes that are present (all three once trained; see docs/toy-worlds.md)
        List<Path> sizes = newsSizes != null ? newsSizes : java.util.Arrays.stream(NEWS_SIZES.split(","))
                .map(r -> Home.resolve(Path.of(r))).filter(Files::isDirectory).toList();
        if (sizes.isEmpty()) sizes = List.of(main);
        List<Path> named = new java.util.ArrayList<>(sizes);
        named.add(0, main);
        for (Path m : named) {
            if (!Files.isRegularFile(m.resolve("config.json"))) {
                throw new AbsorbException("The news model " + m + " is not a model folder (no config.json); see --news-model"
                        + " and --news-sizes.");
            }
        }
        Path world = Home.resolve(Path.of(NEWS_WORLD));
        List<NewsItem> items = new java.util.ArrayList<>();
        java.util.Map<String, Integer> perKind = new java.util.HashMap<>();
        for (NewsItem i : NewsSets.load(world.resolve("news.jsonl"))) {
            if (perKind.merge(i.domain(), 1, Integer::sum) <= newsItems) items.add(i);
        }
        List<NewsItem> control = NewsSets.load(world.resolve("control.jsonl"));
        java.util.Set<String> unrehearsed = NewsWorld.readUnrehearsed(world.resolve("unrehearsed.txt"));
        // every weight instead of a LoRA adapter, in larger batches: on the news world's small models this took Self-QA
        // furthest in the fewest steps; the rows of words absent from the data held and every weight pulled back toward
        // the pretrained one, which keep the pretrained facts (the README's sweeps)
        TrainConfig base = NewsTraining.defaults(main, null, null);
        TrainConfig training = base.withLora(TrainConfig.Lora.OFF).withOptimizer(base.optimizer().withLr(NEWS_LR)
                .withAnchorDecay(NEWS_ANCHOR).withHoldAbsentTokens(true))
                .withRun(base.run().withBatch(NEWS_BATCH, 1).withEpochs(NEWS_EPOCHS));
        return new NewsDemo.Settings(main, sizes, items, control, unrehearsed, newsSamples, newsGrid, training, seed,
                robustnessSeeds, 32);
    }

    /** A bundled model's folder, {@code relative} to absorb's folder; refused in one sentence when it is missing. */
    private static Path bundled(String relative) {
        Path p = Home.resolve(Path.of(relative));
        if (!Files.isDirectory(p)) {
            throw new AbsorbException("The bundled model " + p + " is missing; run absorb through its ./absorb launcher,"
                    + " or rebuild the model as docs/toy-worlds.md describes.");
        }
        return p;
    }

    static void log(String line) {
        System.err.println(line);
    }
}
