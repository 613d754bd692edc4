package absorb.cli;

import absorb.AbsorbException;
import absorb.graphs.Experiments;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.graphs.TraceReports;
import absorb.graphs.Words;
import absorb.model.LanguageModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "graph-trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = "In-context representations: put words on a graph, feed random walks, and measure how the residual"
                + " stream re-organises (accuracy, PCA, Dirichlet energy, spectral alignment, critical context).",
        subcommands = {GraphTraceCommand.Sweep.class, GraphTraceCommand.Conflict.class})
final class GraphTraceCommand implements Callable<Integer> {

    /** Options every graph-tracing run takes. */
    static final class RunOptions {
        // --model and --out are checked in load(), not by the parser: the parser would ask the parent command for them
        // when a subcommand (sweep, conflict) is run.
        @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (required).")
        Path model;

        @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply.")
        Path adapter;

        @Option(names = "--context", defaultValue = "1200", paramLabel = "N", description = "Word tokens per sequence (1200).")
        int context;

        @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Sequences; k starts at node k mod n (16).")
        int batch;

        @Option(names = "--layers", defaultValue = "all", paramLabel = "LIST",
                description = "all, or block indices / hook points (e.g. 20,24 or blocks.3.resid_post).")
        String layers;

        @Option(names = "--window", defaultValue = "200", paramLabel = "N", description = "Positions per word mean, N_w (200).")
        int window;

        @Option(names = "--positions", defaultValue = "40", paramLabel = "N", description = "Measured positions, log-spaced (40).")
        int positions;

        @Option(names = "--words", paramLabel = "FILE", description = "Word list, one per line (default: the 30 study words).")
        Path words;

        @Option(names = "--shuffle-words", description = "Assign words to nodes shuffled with --seed (default: in order).")
        boolean shuffle;

        @Option(names = "--sampling", defaultValue = "walk", paramLabel = "S", description = "walk (default) or pairs (ring variant).")
        String sampling;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed for walks and shuffling (0).")
        long seed;

        @Option(names = "--out", paramLabel = "DIR", description = "Run folder (required).")
        Path out;

        @Mixin
        Options compute;

        TraceConfig config(String graph, Path sequences) {
            List<String> list = words != null ? Words.fromFile(words) : null;
            return new TraceConfig(model, adapter, graph, list, shuffle, sampling, context, batch, layers, window, positions,
                    seed, sequences, compute.dtype);
        }

        LanguageModel load() {
            if (model == null || out == null) {
                throw new AbsorbException("graph-trace needs --model DIR and --out DIR (also after sweep or conflict).");
            }
            return LanguageModel.load(model, adapter, compute.compute());
        }
    }

    @Mixin
    RunOptions run;

    @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G",
            description = "grid:RxC, ring:N, hex:RxC (hex:3x3 has 30 nodes) or an edge-list file (default grid:4x4).")
    String graph;

    @Option(names = "--sequences", paramLabel = "FILE", description = "Evaluate the sequences of a sequences.json instead of sampling.")
    Path sequences;

    @Spec
    CommandSpec spec;

    /** Progress, on standard error. */
    static void log(String line) {
        System.err.println(line);
    }

    /** A finding, on standard output. */
    static void result(CommandSpec spec, String line) {
        spec.commandLine().getOut().println(line);
        spec.commandLine().getOut().flush();
    }

    @Override
    public Integer call() {
        try (LanguageModel lm = run.load()) {
            GraphTrace.Result r = GraphTrace.run(run.config(graph, sequences), lm, GraphTraceCommand::log);
            TraceReports.writeRun(r, run.out, "Graph tracing: " + r.graph().name());
            result(spec, TraceReports.describe(r) + "; report: " + run.out.resolve("report.html"));
        }
        return 0;
    }

    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Critical context across graph sizes and the power-law fit t* = a n^b.")
    static final class Sweep implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        RunOptions run;

        @Option(names = "--graphs", required = true, split = ",", paramLabel = "LIST",
                description = "Graphs to compare, e.g. ring:8,ring:12,ring:16,ring:24.")
        List<String> graphs;

        @Override
        public Integer call() {
            try (LanguageModel lm = run.load()) {
                Experiments.Sweep s = Experiments.sweep(run.config(graphs.get(0), null), graphs, lm, GraphTraceCommand::log);
                TraceReports.writeSweepRun(s, run.out);
                result(spec, TraceReports.describe(s) + "; report: " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

    @Command(name = "conflict", mixinStandardHelpOptions = true,
            description = "Semantic conflict: the days of the week on a ring in steps of three days; which principal"
                    + " components carry the in-context ring and which the natural weekly order.")
    static final class Conflict implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        RunOptions run;

        @Override
        public Integer call() {
            try (LanguageModel lm = run.load()) {
                Experiments.Conflict c = Experiments.conflict(run.config("ring:7", null), lm, GraphTraceCommand::log);
                TraceReports.writeConflictRun(c, run.out);
                result(spec, Experiments.describe(c) + " Report: " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

}
