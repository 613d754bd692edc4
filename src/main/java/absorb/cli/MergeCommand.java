package absorb.cli;

import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.LoraAdapter;
import absorb.model.ModelConfig;
import absorb.model.Transformer;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Fold a LoRA adapter into its base model and write a plain Hugging Face model folder.")
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model folder.")
    Path model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "PEFT LoRA adapter folder.")
    Path adapter;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where to write the merged model.")
    Path out;

    @Option(names = "--dtype", paramLabel = "TYPE",
            description = "Weights dtype: float32, bf16 or float16 (default: the base model's, as transformers keeps it).")
    String dtype;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        DataType asked = dtype != null ? Compute.parseDtype(dtype) : null;
        ModelConfig base = Checkpoint.config(model);
        DataType stored = storedDtype(base);
        DataType written = asked != null ? asked : stored != null ? stored : DataType.FLOAT32;
        // the adapter is merged in float32 (one rounding, when the weights are written in their dtype)
        try (Transformer t = Checkpoint.load(model, Compute.CPU_FLOAT32)) {
            LoraAdapter.load(adapter, t);
            LoraAdapter.merge(t);
            Checkpoint.save(t, out, model, written);
        }
        spec.commandLine().getOut().println(message(adapter, model, out, written, stored, base.torchDtype()));
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The dtype the base's weights are stored in (config.json's dtype or torch_dtype), or null if absorb has no such. */
    static DataType storedDtype(ModelConfig c) {
        try {
            return c.torchDtype() == null ? null : Compute.parseDtype(c.torchDtype());
        } catch (absorb.AbsorbException notOneOfOurs) {
            return null;
        }
    }

    /** What was written where, and in which dtype against the base's. */
    static String message(Path adapter, Path model, Path out, DataType written, DataType stored, String storedName) {
        List<String> files = new ArrayList<>(List.of("model.safetensors", "config.json"));
        for (String f : Checkpoint.TOKENIZER_FILES) if (Files.isRegularFile(out.resolve(f))) files.add(f);
        String w = Compute.dtypeName(written);
        String dtypeNote = stored == written ? w + ", as the base"
                : w + (stored == null ? "; the base's dtype " + storedName + " is not one absorb writes"
                        : "; the base is " + Compute.dtypeName(stored));
        return "merged the adapter " + adapter + " into " + model + ": wrote " + out + " (" + String.join(", ", files)
                + "), weights in " + dtypeNote + ".";
    }
}
