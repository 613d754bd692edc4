package absorb.cli;

import absorb.AbsorbException;
import absorb.news.Prompts;
import absorb.toy.NewsPretrain;
import absorb.toy.NewsWorld;
import absorb.toy.ToyPretrain;
import absorb.train.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "toy", mixinStandardHelpOptions = true,
        description = "The embedded default models: train one from scratch on a synthetic world.",
        subcommands = {ToyCommand.Pretrain.class, ToyCommand.World.class})
final class ToyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Train a small Llama-architecture model from scratch on a world (graphs or news) and write a HF folder.")
    static final class Pretrain implements Callable<Integer> {
        @Option(names = "--world", defaultValue = "graphs", paramLabel = "NAME", description = "The world: graphs or news.")
        String world;

        @Option(names = "--size", paramLabel = "S",
                description = "graphs: small (4 layers, width 128, three phases; the shipped model, default) or tiny (a"
                        + " quick check); news: tiny (2 x 64), small (3 x 96) or base (4 x 128, default), the three"
                        + " shipped models.")
        String size;

        @Option(names = "--steps", paramLabel = "N", description = "Override every phase's step count.")
        Integer steps;

        @Option(names = "--phases", paramLabel = "N", description = "Training phases, each continuing the last with a"
                + " fresh cosine schedule and the next seed: the preset's first N (it has 3 for small, 1 for tiny), more repeat its last.")
        Integer phases;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default 0).")
        long seed;

        @Option(names = "--lr", paramLabel = "LR", description = "Override every phase's peak learning rate.")
        Double lr;

        @Option(names = "--warmup", paramLabel = "N", description = "Override every phase's warm-up steps.")
        Integer warmup;

        @Option(names = "--pair-share", paramLabel = "F", description = "Override every phase's fraction of sequences that"
                + " are neighbour pairs \"u v\" instead of walks (the preset's: 0.3 in small's third phase, else 0).")
        Double pairShare;

        @Option(names = "--length", paramLabel = "N", description = "Override every phase's words per sequence (the"
                + " preset's: 256, 512 in small's third phase); the batch shrinks to keep the tokens per step.")
        Integer length;

        @Option(names = "--batch", paramLabel = "N", description = "news: rows per step (the presets' 16).")
        Integer batch;

        @Option(names = "--copy-steps", paramLabel = "N", description = "news: first steps on copy documents only"
                + " (the presets' 1,000).")
        Integer copySteps;

        @Option(names = "--shares", paramLabel = "LIST", description = "news: shares of the corpus's document kinds for"
                + " this run, such as lookup=0.5,mcq=0.25,icl_mcq=0.25 (default: docs/toy-worlds.md's).")
        String shares;

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
            if (world.equals("news")) return news();
            if (!world.equals("graphs")) throw new AbsorbException("--world " + world + " is not known; use graphs or news.");
            if (batch != null || copySteps != null || shares != null) {
                throw new AbsorbException("--batch, --copy-steps and --shares are options of the news world.");
            }
            threads.apply();
            ToyPretrain.Size s = ToyPretrain.Size.of(size != null ? size : "small");
            if (steps != null) {
                if (steps < 1) throw new AbsorbException("--steps must be at least 1, not " + steps + ".");
                s = s.withSteps(steps);
            }
            if (lr != null) s = s.withLr(lr);
            if (warmup != null) s = s.withWarmup(warmup);
            if (length != null) {
                if (length < 8 || length > 2000) throw new AbsorbException("--length must be 8 to 2000, not " + length + ".");
                s = s.withLength(length);
            }
            if (pairShare != null) {
                if (!(pairShare >= 0 && pairShare <= 0.9)) {
                    throw new AbsorbException("--pair-share must be between 0 and 0.9, not " + pairShare + ".");
                }
                s = s.withPairShare(pairShare);
            }
            if (phases != null) {
                if (phases < 1) throw new AbsorbException("--phases must be at least 1, not " + phases + ".");
                s = s.withPhases(phases);
            }
            Trainer.Result r = ToyPretrain.runPhases(s, seed, from, out, resume, evalEvery, new FinetuneCommand.Progress(50));
            if (!r.interrupted()) System.out.printf("done: %d steps, final loss %.4f; model written to %s%n", r.steps(), r.finalLoss(), out);
            return r.interrupted() ? 130 : 0;
        }

        private int news() {
            if (phases != null || pairShare != null || length != null) {
                throw new AbsorbException("--phases, --pair-share and --length are options of the graphs world.");
            }
            threads.apply();
            NewsPretrain.Size s = NewsPretrain.Size.of(size != null ? size : "base");
            if (steps != null) {
                if (steps < 1) throw new AbsorbException("--steps must be at least 1, not " + steps + ".");
                s = s.withSteps(steps);
            }
            if (lr != null) s = s.withLr(lr);
            if (warmup != null) s = s.withWarmup(warmup);
            if (shares != null) s = s.withShares(shares);
            if (copySteps != null) {
                if (copySteps < 0) throw new AbsorbException("--copy-steps must be 0 or more, not " + copySteps + ".");
                s = s.withCopySteps(copySteps);
            }
            if (batch != null) {
                if (batch < 1) throw new AbsorbException("--batch must be at least 1, not " + batch + ".");
                s = s.withBatch(batch);
            }
            Prompts prompts = Prompts.load(Home.resolve(Path.of("data/newnews/prompts")));
            Trainer.Result r = NewsPretrain.run(s, seed, from, prompts, out, resume, evalEvery, new FinetuneCommand.Progress(50));
            if (!r.interrupted()) System.out.printf("done: %d steps, final loss %.4f; model written to %s%n", r.steps(), r.finalLoss(), out);
            return r.interrupted() ? 130 : 0;
        }
    }

    @Command(name = "world", mixinStandardHelpOptions = true,
            description = "Write a world's evaluation files: for news, the demo's news items (news.jsonl), the control"
                    + " facts (control.jsonl), the unrehearsed question ids and a sample of the pretraining corpus.")
    static final class World implements Callable<Integer> {
        @Option(names = "--world", defaultValue = "news", paramLabel = "NAME", description = "The world: news.")
        String world;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
        Path out;

        @Override
        public Integer call() {
            if (!world.equals("news")) throw new AbsorbException("--world " + world + " has no files to write; use news.");
            NewsWorld.defaults().write(out, Prompts.load(Home.resolve(Path.of("data/newnews/prompts"))));
            System.out.println("news world written to " + out);
            return 0;
        }
    }
}
