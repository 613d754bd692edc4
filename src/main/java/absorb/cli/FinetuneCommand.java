package absorb.cli;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.JsonFiles;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import absorb.model.LoraAdapter;
import absorb.model.Compute;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune a model (all weights, or a LoRA adapter) on JSONL data; resumable, with checkpoints.")
final class FinetuneCommand implements Callable<Integer> {
    /** The options of the run that started an output folder, kept there so that --resume can repeat them. */
    static final String SAVED_ARGS = "finetune_args.json";

    @Spec
    CommandSpec spec;

    /** Set when the options were completed from {@link #SAVED_ARGS}. */
    private boolean restored;

    // --model and --data are required, except with --resume in a folder that holds a run (checked in call()).
    @Option(names = "--model", paramLabel = "DIR", description = "Base model folder (required unless resuming).")
    Path model;

    @Option(names = "--data", paramLabel = "FILE.jsonl",
            description = "Training data: {\"text\"}, {\"messages\"} or {\"prompt\", \"completion\"} per line (required"
                    + " unless resuming).")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--lora", description = "Train a LoRA adapter (implied by any --lora-* option).")
    boolean lora;

    @Option(names = "--adapter", paramLabel = "DIR",
            description = "Continue training this PEFT adapter (LoRA; its rank, alpha, dropout and targets are used).")
    Path adapter;

    @Option(names = "--lora-rank", paramLabel = "R", description = "LoRA rank (default 16).")
    Integer loraRank;

    @Option(names = "--lora-alpha", paramLabel = "A", description = "LoRA alpha (default 2 x rank).")
    Double loraAlpha;

    @Option(names = "--lora-dropout", paramLabel = "P", description = "Dropout on LoRA inputs (default 0.05).")
    Double loraDropout;

    @Option(names = "--lora-targets", paramLabel = "LIST", split = ",",
            description = "Projections to adapt (default all: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj).")
    List<String> loraTargets;

    @Option(names = "--epochs", defaultValue = "1", paramLabel = "E", description = "Passes over the data (default 1).")
    int epochs;

    @Option(names = "--max-steps", defaultValue = "0", paramLabel = "N", description = "Optimizer steps (overrides --epochs).")
    int maxSteps;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 5e-5 full, 2e-4 LoRA).")
    Double lr;

    @Option(names = "--schedule", defaultValue = "linear", paramLabel = "S", description = "constant, linear (default) or cosine.")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "W", description = "Warm-up steps (default 0).")
    int warmup;

    @Option(names = "--weight-decay", defaultValue = "0.0", paramLabel = "WD", description = "AdamW weight decay (default 0).")
    double weightDecay;

    @Option(names = "--betas", defaultValue = "0.9,0.999", split = ",", paramLabel = "B1,B2", description = "AdamW betas.")
    double[] betas;

    @Option(names = "--adam-eps", defaultValue = "1e-8", paramLabel = "EPS", description = "AdamW epsilon.")
    double eps;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "N", description = "Clip the global gradient norm (0: off).")
    double maxGradNorm;

    @Option(names = "--anchor-decay", defaultValue = "0.0", paramLabel = "A", description = "Decay toward the starting"
            + " weights instead of toward zero: p += lr * A * (p_start - p) after each step (default 0).")
    double anchorDecay;

    @Option(names = "--hold-absent-tokens", description = "In full fine-tuning, keep the embedding rows of the tokens"
            + " absent from the data where they are.")
    boolean holdAbsentTokens;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "B", description = "Sequences per micro-batch (default 8).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "K", description = "Micro-batches per step (default 1).")
    int gradAccum;

    @Option(names = "--max-length", defaultValue = "1024", paramLabel = "L", description = "Longest sequence in tokens (default 1024).")
    int maxLength;

    @Option(names = "--reject-long", description = "Refuse sequences longer than --max-length instead of cutting them.")
    boolean rejectLong;

    @Option(names = "--packing", description = "Pack several sequences into each row of --max-length tokens.")
    boolean packing;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Seed for shuffling and initialisation.")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "500", paramLabel = "N", description = "Steps between checkpoints.")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "2", paramLabel = "N", description = "Checkpoints kept.")
    int keepCheckpoints;

    @Option(names = "--log-every", defaultValue = "10", paramLabel = "N", description = "Steps between metric lines.")
    int logEvery;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in --out, with the options that started"
            + " the run (options given now must agree with them).")
    boolean resume;

    @Option(names = "--deterministic", description = "One thread, fixed seeds: a resumed run ends exactly as an uninterrupted one.")
    boolean deterministic;

    @Option(names = "--dtype", defaultValue = "float32", paramLabel = "TYPE",
            description = "float32 (default), or bf16 with LoRA: a frozen bfloat16 base and a float32 adapter.")
    String dtype;

    @Mixin
    ThreadOptions threads;

    @Override
    public Integer call() {
        if (resume && !restored && Files.isRegularFile(out.resolve(SAVED_ARGS))) return withSavedOptions().call();
        if (model == null || data == null) {
            throw new AbsorbException("finetune needs --model and --data (or --resume, with an --out where a run started).");
        }
        if (adapter != null) adoptAdapterSettings();
        boolean useLora = lora || adapter != null || loraRank != null || loraAlpha != null || loraDropout != null
                || loraTargets != null;
        int rank = loraRank != null ? loraRank : 16;
        if (betas.length != 2) throw new absorb.AbsorbException("--betas takes two numbers, such as 0.9,0.999.");
        TrainConfig.Lora loraSettings = !useLora ? TrainConfig.Lora.OFF : TrainConfig.Lora.of(rank)
                .withAlpha(loraAlpha != null ? loraAlpha : 2.0 * rank)
                .withDropout(loraDropout != null ? loraDropout : 0.05)
                .withTargets(loraTargets != null ? loraTargets.stream().map(String::strip).toList() : LoraAdapter.TARGETS)
                .withAdapter(adapter);
        TrainConfig config = new TrainConfig(
                new TrainConfig.Data(model, data, out, Compute.parseDtype(dtype), maxLength, rejectLong, packing),
                loraSettings,
                new TrainConfig.Optimizer(lr != null ? lr : (useLora ? 2e-4 : 5e-5), TrainConfig.Schedule.parse(schedule),
                        warmup, weightDecay, betas[0], betas[1], eps, maxGradNorm, anchorDecay, holdAbsentTokens),
                new TrainConfig.Run(epochs, maxSteps, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints,
                        logEvery, resume, deterministic));
        threads.apply();
        // the options are saved once the trainer has checked them, the data and the model: a refused run writes nothing
        boolean fresh = !resume && !Trainer.hasCheckpoints(out);
        Trainer.Result r = new Trainer(config, new Progress(logEvery, fresh ? this::saveOptions : () -> { })).run();
        if (!r.interrupted()) {
            spec.commandLine().getOut().printf(Locale.ROOT, "done: %d steps, final loss %.4f; %s written to %s%n", r.steps(),
                    r.finalLoss(), useLora ? "adapter" : "model", out);
            spec.commandLine().getOut().flush();
        }
        return r.interrupted() ? 130 : 0;
    }

    /** With --adapter, the LoRA settings are the adapter's; options that say otherwise are refused. */
    private void adoptAdapterSettings() {
        absorb.model.LoraAdapter.Config a = absorb.model.LoraAdapter.readConfig(adapter);
        if ((loraRank != null && loraRank != a.rank()) || (loraAlpha != null && loraAlpha != a.alpha())
                || (loraTargets != null && !Set.copyOf(loraTargets).equals(Set.copyOf(a.targetModules())))) {
            throw new AbsorbException("--lora-rank, --lora-alpha and --lora-targets must match the adapter in " + adapter
                    + " (rank " + a.rank() + ", alpha " + a.alpha() + ", targets " + String.join(",", a.targetModules())
                    + "), or be left out.");
        }
        loraRank = a.rank();
        loraAlpha = a.alpha();
        loraTargets = a.targetModules();
        if (loraDropout == null) loraDropout = a.dropout();
    }

    /** This command with the saved options of the run in --out, overridden by the options given now. */
    private FinetuneCommand withSavedOptions() {
        Path file = out.resolve(SAVED_ARGS);
        List<String> args = new ArrayList<>();
        for (JsonNode a : JsonFiles.readObject(file, "Saved options").path("args")) args.add(a.asText());
        List<String> given = spec.commandLine().getParseResult().originalArgs(); // the command line from its start
        args.addAll(given.subList(given.indexOf(spec.name()) + 1, given.size()));
        FinetuneCommand merged = new FinetuneCommand();
        try {
            new CommandLine(merged).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new AbsorbException("The options saved in " + file + " do not parse: " + e.getMessage());
        }
        merged.restored = true;
        return merged;
    }

    /** Writes the options given (paths made absolute) to {@link #SAVED_ARGS} in --out. */
    private void saveOptions() {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        ArrayNode args = new ObjectMapper().createArrayNode();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (!parsed.hasMatchedOption(o) || Set.of("--resume", "--verbose", "--out").contains(name)) continue;
            args.add(name);
            if (o.typeInfo().isBoolean()) continue;
            Object v = o.getValue();
            if (v instanceof Path p) args.add(p.toAbsolutePath().normalize().toString());
            else if (v instanceof List<?> l) args.add(String.join(",", l.stream().map(String::valueOf).toList()));
            else if (v instanceof double[] d) args.add(String.join(",", Arrays.stream(d).mapToObj(String::valueOf).toList()));
            else args.add(String.valueOf(v));
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new AbsorbException("Output folder " + out + " cannot be created (" + e.getMessage() + ").");
        }
        AtomicFile.writeJson(out.resolve(SAVED_ARGS), new ObjectMapper().createObjectNode().set("args", args), true);
    }

    /** Training progress: a bar redrawn in place on a terminal, plain lines every --log-every steps otherwise. */
    static final class Progress implements Trainer.Listener {
        private final boolean terminal = System.console() != null;
        private final int every;
        private final Runnable ready;

        Progress(int every) {
            this(every, () -> { });
        }

        /** Progress that also runs {@code ready} when the trainer has checked the run and starts it. */
        Progress(int every, Runnable ready) {
            this.every = every;
            this.ready = ready;
        }

        @Override
        public void onReady() {
            ready.run();
        }

        @Override
        public void onStep(Trainer.StepMetrics m) {
            String line = String.format(Locale.ROOT, "step %d/%d  epoch %.2f  loss %.4f  lr %.2e  grad %.3f  %,.0f tok/s  ETA %s",
                    m.step(), m.totalSteps(), m.epoch(), m.loss(), m.lr(), m.gradNorm(), m.tokensPerSecond(),
                    duration(m.etaSeconds()));
            if (terminal) {
                int width = 24, filled = (int) Math.round(width * m.step() / (double) m.totalSteps());
                char[] bar = new char[width];
                Arrays.fill(bar, 0, filled, '#');
                Arrays.fill(bar, filled, width, '.');
                System.err.print("\r[" + new String(bar) + "] " + line + "   ");
                if (m.step() == m.totalSteps()) System.err.println();
            } else if (m.step() % every == 0 || m.step() == m.totalSteps() || m.step() == 1) {
                System.err.println(line);
            }
        }

        @Override
        public void onMessage(String message) {
            if (terminal) System.err.print("\r");
            System.err.println(message);
        }

        static String duration(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
        }
    }
}
