package absorb.cli;

import absorb.model.Compute;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a model: where, in which number format, on how many threads. */
final class Options {
    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "TYPE",
            description = "Compute dtype: float32 (default), bf16 or float16.")
    String dtype;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV", description = "cpu (default), gpu or gpu:N.")
    String device;

    @Mixin
    ThreadOptions threads;

    Compute compute() {
        threads.apply();
        return new Compute(Compute.parseDevice(device), Compute.parseDtype(dtype));
    }
}
