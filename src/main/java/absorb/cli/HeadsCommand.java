package absorb.cli;

import absorb.AbsorbException;
import absorb.graphs.CircuitReports;
import absorb.graphs.HeadScores;
import absorb.graphs.TraceConfig;
import absorb.model.LanguageModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "heads", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Score every attention head: the induction score (attention from a token to the token after its"
                + " previous occurrence) and the previous-token score, on repeated random sequences and on graph walks;"
                + " heads.json, a heat map per score and report.html.")
final class HeadsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply.")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run folder.")
    Path out;

    @Option(names = "--repeat-length", defaultValue = "32", paramLabel = "L",
            description = "Tokens per copy of a repeated random sequence (32).")
    int repeatLength;

    @Option(names = "--repeats", defaultValue = "32", paramLabel = "N", description = "Repeated random sequences (32).")
    int repeats;

    @Option(names = "--graph", defaultValue = "grid:4x4", paramLabel = "G",
            description = "Graph whose walks the heads are also scored on (grid:4x4).")
    String graph;

    @Option(names = "--context", defaultValue = "1200", paramLabel = "N", description = "Words per walk (1200).")
    int context;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Walks (16).")
    int batch;

    @Option(names = "--no-walks", description = "Score on repeated random sequences only.")
    boolean noWalks;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the tokens and walks (0).")
    long seed;

    @Mixin
    Options compute;

    @Override
    public Integer call() {
        TraceConfig walks = noWalks ? null : TraceConfig.defaults(model, graph).withContext(context, 200)
                .withBatch(batch).withSeed(seed);
        HeadScores.Settings settings = new HeadScores.Settings(repeatLength, repeats, seed, walks);
        try (LanguageModel lm = LanguageModel.load(model, adapter, compute.compute())) {
            HeadScores.Report r = HeadScores.measure(lm, settings);
            CircuitReports.writeHeads(r, model.toString(), out);
            System.err.println(HeadScores.reading(r));
            System.err.println("wrote " + out.resolve("heads.json") + " and " + out.resolve("report.html"));
        }
        return 0;
    }
}
