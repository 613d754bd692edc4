package absorb.cli;

import absorb.AbsorbException;
import absorb.toy.ToyPretrain;
import absorb.train.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "toy", mixinStandardHelpOptions = true,
        description = "The embedded default models: train one from scratch on a synthetic world.",
        subcommands = {ToyCommand.Pretrain.class})
final class ToyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Train a small Llama-architecture model from scratch on a world (graphs) and write a HF folder.")
    static final class Pretrain implements Callable<Integer> {
        @Option(names = "--world", defaultValue = "graphs", paramLabel = "NAME", description = "The world: graphs.")
        String world;

        @Option(names = "--size", defaultValue = "small", paramLabel = "S",
                description = "small (4 layers, width 128, two phases of 6000 steps; the shipped model) or tiny (a quick check).")
        String size;

        @Option(names = "--steps", paramLabel = "N", description = "Override the preset's step count (per phase).")
        Integer steps;

        @Option(names = "--phases", paramLabel = "N", description = "Training phases, each continuing the last with a"
                + " fresh cosine schedule and the next seed (the preset's: 2 for small, 1 for tiny).")
        Integer phases;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default 0).")
        long seed;

        @Option(names = "--lr", paramLabel = "LR", description = "Override the preset's peak learning rate.")
        Double lr;

        @Option(names = "--warmup", paramLabel = "N", description = "Override the preset's warm-up steps.")
        Integer warmup;

        @Option(names = "--from", paramLabel = "DIR", description = "Continue from this model (a further phase) instead of random weights.")
        Path from;

        @Option(names = "--eval-every", defaultValue = "250", paramLabel = "N",
                description = "Steps between in-context evaluations on a fresh 4x4 grid (0: never).")
        int evalEvery;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model folder.")
        Path out;

        @Option(names = "--resume", description = "Continue an interrupted run in --out.")
        boolean resume;

        @Mixin
        ThreadOptions threads;

        @Override
        public Integer call() {
            if (!world.equals("graphs")) throw new AbsorbException("--world " + world + " is not known; use graphs.");
            threads.apply();
            ToyPretrain.Size s = ToyPretrain.Size.of(size);
            if (steps != null) {
                if (steps < 1) throw new AbsorbException("--steps must be at least 1, not " + steps + ".");
                s = s.withSteps(steps);
            }
            if (lr != null || warmup != null) s = s.withLr(lr != null ? lr : s.lr(), warmup != null ? warmup : s.warmup());
            if (phases != null) {
                if (phases < 1) throw new AbsorbException("--phases must be at least 1, not " + phases + ".");
                s = s.withPhases(phases);
            }
            Trainer.Result r = ToyPretrain.runPhases(s, seed, from, out, resume, evalEvery, new FinetuneCommand.Progress(50));
            if (!r.interrupted()) System.err.printf("done: %d steps, final loss %.4f; model written to %s%n", r.steps(), r.finalLoss(), out);
            return r.interrupted() ? 130 : 0;
        }
    }
}
