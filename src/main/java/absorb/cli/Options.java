package absorb.cli;

import absorb.model.Compute;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a model: where, in which number format, on how many threads. */
final class Options {
    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "TYPE",
            description = "Compute dtype: float32 (default), bf16 or float16.")
    String dtype;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV", description = "cpu (default), gpu or gpu:N.")
    String device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Threads for tensor operations (default: one per core).")
    int threads;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    Compute compute() {
        if (threads < 0) throw new absorb.AbsorbException("--threads must be 0 (automatic) or more, not " + threads + ".");
        Compute.setThreads(threads);
        return new Compute(Compute.parseDevice(device), Compute.parseDtype(dtype));
    }
}
