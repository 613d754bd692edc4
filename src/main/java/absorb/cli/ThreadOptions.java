package absorb.cli;

import absorb.AbsorbException;
import absorb.model.Compute;
import picocli.CommandLine.Option;

/** Options every command that computes takes: how many threads, and whether errors show their stack trace. */
final class ThreadOptions {
    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Threads for tensor operations (default: one per core).")
    int threads;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    /** Checks --threads and sets it for the tensor library. */
    void apply() {
        if (threads < 0) throw new AbsorbException("--threads must be 0 (automatic) or more, not " + threads + ".");
        Compute.setThreads(threads);
    }
}
