package absorb.cli;

import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.LoraAdapter;
import absorb.model.Transformer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Fold a LoRA adapter into its base model and write a plain Hugging Face model folder.")
final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model folder.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT LoRA adapter folder.")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the merged model.")
    Path out;

    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "TYPE", description = "Weights dtype: float32, bf16 or float16.")
    String dtype;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        Compute compute = Compute.CPU_FLOAT32.withDtype(Compute.parseDtype(dtype));
        try (Transformer t = Checkpoint.load(model, Compute.CPU_FLOAT32)) {
            LoraAdapter.load(adapter, t);
            LoraAdapter.merge(t);
            Checkpoint.save(t, out, model, compute.dtype());
        }
        System.err.println("merged " + adapter + " into " + model + ": " + out);
        return 0;
    }
}
