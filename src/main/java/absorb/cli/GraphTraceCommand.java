package absorb.cli;

import absorb.AbsorbException;
import absorb.graphs.Ablation;
import absorb.graphs.CircuitReports;
import absorb.graphs.Experiments;
import absorb.graphs.Graph;
import absorb.graphs.HeadScores;
import absorb.graphs.NeighbourMixing;
import absorb.graphs.Patching;
import absorb.graphs.Steering;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.graphs.TraceReports;
import absorb.graphs.Words;
import absorb.model.LanguageModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "graph-trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = "In-context representations: put words on a graph, feed random walks, and measure how the residual"
                + " stream re-organises (accuracy, PCA, Dirichlet energy, spectral alignment, critical context).",
        subcommands = {GraphTraceCommand.Sweep.class, GraphTraceCommand.Conflict.class, GraphTraceCommand.Ablate.class,
            GraphTraceCommand.Patch.class, GraphTraceCommand.Mixing.class, GraphTraceCommand.Causal.class})
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

        @Option(names = "--energy", defaultValue = "centred", paramLabel = "DEF",
                description = "Normalised energy the figures use: centred (default; word means centred, unit Frobenius"
                        + " norm) or paper (the study's: not centred, averaged over dimensions); metrics.json has both.")
        String energy;

        @Option(names = "--window-convention", defaultValue = "absorb", paramLabel = "C",
                description = "Word-mean window at position t: absorb, (t - w, t] (default), or paper, [t - w, t].")
        String windowConvention;

        @Option(names = "--separator", paramLabel = "TEXT",
                description = "A token after each neighbour pair, as the study's ring runs (\" /\"); with --sampling pairs.")
        String separator;

        @Option(names = "--random-init", description = "Measure the model's architecture with random weights (normal,"
                + " std 0.02, seeded by --seed) instead of its trained ones, as a baseline.")
        boolean randomInit;

        @Mixin
        Options compute;

        TraceConfig config(String graph, Path sequences) {
            List<String> list = words != null ? Words.fromFile(words) : null;
            return new TraceConfig(model, adapter, graph, list, shuffle, sampling, context, batch, layers, window, positions,
                    seed, sequences, compute.dtype, new TraceConfig.Conventions(energy, windowConvention, separator,
                    randomInit));
        }

        LanguageModel load() {
            if (model == null || out == null) {
                throw new AbsorbException("graph-trace needs --model DIR and --out DIR (also after sweep or conflict).");
            }
            if (randomInit) {
                if (adapter != null) throw new AbsorbException("--random-init replaces every weight; it takes no --adapter.");
                return LanguageModel.randomInit(model, compute.compute(), seed);
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

    @Command(name = "ablate", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Rule-following accuracy and the representations' alignment with attention heads ablated at"
                    + " their output before o_proj (attn.z), beside the unablated run and as many random heads, and a"
                    + " curve of final accuracy against the number of heads ablated.")
    static final class Ablate implements Callable<Integer> {
        @Mixin
        RunOptions run;

        @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G", description = "The graph (grid:4x4).")
        String graph;

        static final class Which {
            @Option(names = "--heads", split = ",", paramLabel = "LIST", description = "Heads LAYER.HEAD, e.g. 1.3,2.0.")
            List<String> heads;

            @Option(names = "--top-induction", paramLabel = "K", description = "The K heads with the highest induction score.")
            Integer topInduction;

            @Option(names = "--top-previous", paramLabel = "K", description = "The K heads with the highest previous-token score.")
            Integer topPrevious;

            @Option(names = "--random", paramLabel = "K", description = "K heads drawn at random.")
            Integer random;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        @Option(names = "--ablation", defaultValue = "zero", paramLabel = "KIND",
                description = "zero (default) or mean (each head's mean output over walks with another seed).")
        String ablation;

        @Option(names = "--draws", defaultValue = "4", paramLabel = "N", description = "Random sets of heads (4).")
        int draws;

        @Option(names = "--curve-max", defaultValue = "-1", paramLabel = "K",
                description = "Largest K of the accuracy-against-K curve (default: 32 or every head, whichever is fewer;"
                        + " 0: no curve).")
        int curveMax;

        @Option(names = "--repeat-length", defaultValue = "32", paramLabel = "L",
                description = "Tokens per copy of the repeated random sequences that rank the heads (32).")
        int repeatLength;

        @Option(names = "--repeats", defaultValue = "32", paramLabel = "N", description = "Repeated random sequences (32).")
        int repeats;

        @Override
        public Integer call() {
            Ablation.Kind kind = Ablation.Kind.parse(ablation);
            TraceConfig trace = run.config(graph, null);
            try (LanguageModel lm = run.load()) {
                int layers = lm.transformer().layers(), heads = lm.config().numAttentionHeads();
                Ablation.Selection selection;
                if (which.heads != null) {
                    selection = new Ablation.Selection("heads", which.heads.stream()
                            .map(h -> HeadScores.Head.parse(h, layers, heads)).toList(), 0);
                } else if (which.topInduction != null) {
                    selection = new Ablation.Selection("top-induction", null, which.topInduction);
                } else if (which.topPrevious != null) {
                    selection = new Ablation.Selection("top-previous", null, which.topPrevious);
                } else {
                    selection = new Ablation.Selection("random", null, which.random);
                }
                int max = curveMax >= 0 ? curveMax : Math.min(32, layers * heads);
                HeadScores.Settings scoring = new HeadScores.Settings(repeatLength, repeats, run.seed, trace);
                Ablation.Result r = Ablation.run(new Ablation.Settings(trace, selection, kind, draws, max, scoring), lm,
                        GraphTraceCommand::log);
                CircuitReports.writeAblation(r, run.model.toString(), run.out);
                log(Ablation.reading(r));
                log("wrote " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

    @Command(name = "mixing", mixinStandardHelpOptions = true, sortOptions = false,
            description = "A baseline that needs no model: random vectors on the graph's nodes, mixed with their"
                    + " neighbours' mean round after round, measured as word means are (PCA, spectral alignment, energy).")
    static final class Mixing implements Callable<Integer> {
        @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G", description = "The graph (grid:4x4).")
        String graph;

        @Option(names = "--dim", defaultValue = "4096", paramLabel = "D", description = "Dimension of the vectors (4096).")
        int dim;

        @Option(names = "--rounds", defaultValue = "3", paramLabel = "R", description = "Rounds of mixing (3).")
        int rounds;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the random vectors (0).")
        long seed;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run folder.")
        Path out;

        @Mixin
        ThreadOptions threads;

        @Override
        public Integer call() {
            threads.apply();
            NeighbourMixing.Result r = NeighbourMixing.run(Graph.parse(graph), dim, rounds, seed);
            CircuitReports.writeMixing(r, out);
            log(NeighbourMixing.reading(r));
            log("wrote " + out.resolve("report.html"));
            return 0;
        }
    }

    @Command(name = "patch", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Activation patching: walks on graph A and on graph B with the same words (by default A with"
                    + " its words shuffled), each pair ending with the same word; copy one hook point at a time from A's"
                    + " run into B's and measure how much of A's rule it restores (per layer and position, and per head"
                    + " for attn.z).")
    static final class Patch implements Callable<Integer> {
        @Mixin
        RunOptions run;

        @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G", description = "Graph A (grid:4x4).")
        String graph;

        @Option(names = "--graph-b", paramLabel = "G", description = "Graph B (default: graph A with its words shuffled).")
        String graphB;

        @Option(names = "--points", defaultValue = "resid_pre", paramLabel = "LIST",
                description = "Sites patched per layer and position: resid_pre (default), attn_out, resid_mid, mlp_out,"
                        + " resid_post; attn.z is patched per head.")
        String points;

        @Option(names = "--last-positions", defaultValue = "8", paramLabel = "P",
                description = "The last P positions are patched one at a time, then all positions at once (8).")
        int lastPositions;

        @Override
        public Integer call() {
            Patching.Settings s = new Patching.Settings(run.config(graph, null), graphB, Patching.sites(points),
                    lastPositions);
            try (LanguageModel lm = run.load()) {
                Patching.Result r = Patching.run(s, lm, GraphTraceCommand::log);
                CircuitReports.writePatching(r, run.model.toString(), run.out);
                log(Patching.reading(r));
                log("wrote " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }

    @Command(name = "causal", mixinStandardHelpOptions = true, sortOptions = false,
            description = "The study's causal test: move the last token's residual within the plane of its sequence's"
                    + " first two principal components toward another word's mean (at the --layers blocks at once) and"
                    + " measure the probability on that word's neighbours, hit@1 and hit@3, against a random direction of"
                    + " the same norm.")
    static final class Causal implements Callable<Integer> {
        @Mixin
        RunOptions run;

        @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G", description = "The graph (grid:4x4).")
        String graph;

        @Override
        public Integer call() {
            TraceConfig c = run.config(graph, null);
            try (LanguageModel lm = run.load()) {
                Steering.Result r = Steering.run(c, lm, GraphTraceCommand::log);
                CircuitReports.writeSteering(r, run.out);
                log(Steering.reading(r));
                log("wrote " + run.out.resolve("report.html"));
            }
            return 0;
        }
    }
}
