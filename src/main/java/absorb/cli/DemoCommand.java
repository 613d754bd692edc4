package absorb.cli;

import absorb.AbsorbException;
import absorb.graphs.GraphDemo;
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
        description = "In-context representations on the bundled model, offline, in a few minutes: grid, ring and"
                + " hexagonal lattice runs, the attention heads' scores and the ablation of the induction heads, the"
                + " critical-context sweep with its power law, the semantic conflict, one report.html and a summary.json"
                + " of the claims.")
final class DemoCommand implements Callable<Integer> {
    /** The bundled model, relative to absorb's folder. */
    static final String BUNDLED = GraphDemo.BUNDLED_MODEL;

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

    @Mixin
    ThreadOptions threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter result = spec.commandLine().getOut(); // the findings; progress goes to standard error
        GraphDemo.Settings settings = new GraphDemo.Settings(context, window, batch, sweep, sweepSampling, seed,
                robustnessSeeds);
        Path dir = model != null ? model : bundledModel();
        threads.apply();
        long t0 = System.nanoTime();
        Summary summary = new Summary().put("model", dir.toString());
        HtmlReport report = new HtmlReport("absorb demo: in-context representations of a graph");
        try (LanguageModel lm = LanguageModel.load(dir, adapter, Compute.CPU_FLOAT32)) {
            GraphDemo.run(lm, dir, adapter, settings, out, report, summary, DemoCommand::log, result::println);
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

    static Path bundledModel() {
        Path p = Home.resolve(Path.of(BUNDLED));
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
