package absorb.train;

import absorb.AbsorbException;
import absorb.model.Compute;
import absorb.model.LoraAdapter;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a fine-tuning run needs, in four parts, each with defaults ({@link #defaults}) and {@code with...}
 * methods: what is trained on what, the LoRA adapter, the optimizer and its schedule, and how the run steps, logs and
 * checkpoints. Defaults follow transformers' Trainer where it has them (lr 5e-5, AdamW betas 0.9/0.999, eps 1e-8,
 * linear schedule, clipping at 1.0).
 */
public record TrainConfig(Data data, Lora lora, Optimizer optimizer, Run run) {

    /**
     * @param model base model folder
     * @param file JSONL training data (null when the run is given a {@link TrainingStream})
     * @param out output folder (the trained model or adapter, checkpoints, metrics, loss curve)
     * @param dtype float32, or bfloat16 for LoRA: the frozen base computes in bfloat16, the adapter in float32
     * @param maxLength tokens per sequence (longer ones are cut, or refused with rejectLong)
     * @param rejectLong refuse sequences over maxLength instead of cutting them
     * @param packing pack sequences into rows of maxLength tokens
     */
    public record Data(Path model, Path file, Path out, DataType dtype, int maxLength, boolean rejectLong,
            boolean packing) {
        public Data {
            if (maxLength < 2) throw new AbsorbException("--max-length must be at least 2, not " + maxLength + ".");
            if (dtype != DataType.FLOAT32 && dtype != DataType.BFLOAT16 && dtype != DataType.FLOAT16) {
                throw new AbsorbException("--dtype " + dtype + " is not a training dtype; use float32 or bf16.");
            }
        }

        public Data withModel(Path m) {
            return new Data(m, file, out, dtype, maxLength, rejectLong, packing);
        }

        public Data withFile(Path f) {
            return new Data(model, f, out, dtype, maxLength, rejectLong, packing);
        }

        public Data withOut(Path o) {
            return new Data(model, file, o, dtype, maxLength, rejectLong, packing);
        }

        public Data withDtype(DataType d) {
            return new Data(model, file, out, d, maxLength, rejectLong, packing);
        }

        public Data withMaxLength(int n) {
            return new Data(model, file, out, dtype, n, rejectLong, packing);
        }

        public Data withRejectLong(boolean r) {
            return new Data(model, file, out, dtype, maxLength, r, packing);
        }

        public Data withPacking(boolean p) {
            return new Data(model, file, out, dtype, maxLength, rejectLong, p);
        }
    }

    /**
     * A LoRA adapter to train instead of every weight.
     *
     * @param enabled train an adapter (false: full fine-tuning)
     * @param rank r
     * @param alpha the scaling is alpha / r
     * @param dropout dropout on the adapter's input while training
     * @param targets the projections adapted, by their transformers names (q_proj, ...)
     * @param adapter a PEFT adapter to continue training (its rank, alpha and targets are the run's), or null
     */
    public record Lora(boolean enabled, int rank, double alpha, double dropout, List<String> targets, Path adapter) {
        /** Full fine-tuning (no adapter); PEFT-like settings for when one is enabled: r 16, alpha 32, dropout 0.05. */
        public static final Lora OFF = new Lora(false, 16, 32, 0.05, LoraAdapter.TARGETS, null);

        public Lora {
            targets = List.copyOf(targets);
            if (adapter != null && !enabled) {
                throw new AbsorbException("--adapter continues a LoRA adapter; it needs LoRA training.");
            }
            if (enabled) LoraAdapter.Config.of(rank, alpha, dropout, targets); // checks rank, alpha, dropout, targets
        }

        /** A fresh adapter of rank r with alpha 2r on every projection, dropout 0.05. */
        public static Lora of(int rank) {
            return new Lora(true, rank, 2.0 * rank, 0.05, LoraAdapter.TARGETS, null);
        }

        public Lora withRank(int r) {
            return new Lora(enabled, r, alpha, dropout, targets, adapter);
        }

        public Lora withAlpha(double a) {
            return new Lora(enabled, rank, a, dropout, targets, adapter);
        }

        public Lora withDropout(double d) {
            return new Lora(enabled, rank, alpha, d, targets, adapter);
        }

        public Lora withTargets(List<String> t) {
            return new Lora(enabled, rank, alpha, dropout, t, adapter);
        }

        public Lora withAdapter(Path a) {
            return new Lora(enabled, rank, alpha, dropout, targets, a);
        }

        /** The adapter's PEFT configuration (its base model named by {@code model}). */
        public LoraAdapter.Config toAdapterConfig(Path model) {
            return new LoraAdapter.Config(rank, alpha, dropout, targets, false, java.util.Map.of(), java.util.Map.of(),
                    model.toAbsolutePath().normalize().toString());
        }
    }

    /** The learning-rate schedule after warm-up. */
    public enum Schedule {
        CONSTANT, LINEAR, COSINE;

        public static Schedule parse(String name) {
            for (Schedule s : values()) if (s.name().equalsIgnoreCase(name)) return s;
            throw new AbsorbException("--schedule " + name + " is not a schedule; use constant, linear or cosine.");
        }

        /** The name as options and files spell it. */
        public String spelling() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * AdamW (decoupled weight decay, as torch.optim.AdamW) after clipping the global gradient norm.
     *
     * @param lr peak learning rate
     * @param schedule its schedule after warm-up
     * @param warmup steps of linear warm-up from 0
     * @param weightDecay decoupled weight decay (not on biases and norms)
     * @param maxGradNorm clip the global gradient norm to this (0: no clipping)
     * @param anchorDecay decoupled decay toward the weights training starts from, instead of toward zero:
     *     {@code p += lr * anchorDecay * (p_start - p)} after each update (the L2-SP penalty; 0: none)
     * @param holdAbsentTokens in full fine-tuning, keep the embedding rows (and rows of an untied lm_head) of the tokens
     *     that occur nowhere in the training data at their values: with tied embeddings every row otherwise moves on
     *     every step, through the softmax that pushes down the tokens not predicted
     */
    public record Optimizer(double lr, Schedule schedule, int warmup, double weightDecay, double beta1, double beta2,
            double eps, double maxGradNorm, double anchorDecay, boolean holdAbsentTokens) {
        public Optimizer {
            if (!(lr > 0)) throw new AbsorbException("--lr must be positive, not " + lr + ".");
            if (warmup < 0) throw new AbsorbException("--warmup must be at least 0, not " + warmup + ".");
            if (weightDecay < 0) throw new AbsorbException("--weight-decay must be at least 0, not " + weightDecay + ".");
            if (!(anchorDecay >= 0)) throw new AbsorbException("--anchor-decay must be at least 0, not " + anchorDecay + ".");
            if (maxGradNorm < 0) throw new AbsorbException("--max-grad-norm must be at least 0 (0: no clipping).");
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new AbsorbException("--betas must be in [0, 1).");
            if (!(eps > 0)) throw new AbsorbException("--adam-eps must be positive.");
        }

        /** Every token's row trains, as transformers' Trainer does. */
        public Optimizer(double lr, Schedule schedule, int warmup, double weightDecay, double beta1, double beta2,
                double eps, double maxGradNorm) {
            this(lr, schedule, warmup, weightDecay, beta1, beta2, eps, maxGradNorm, 0, false);
        }

        public static final Optimizer DEFAULTS = new Optimizer(5e-5, Schedule.LINEAR, 0, 0.0, 0.9, 0.999, 1e-8, 1.0);

        public Optimizer withLr(double v) {
            return new Optimizer(v, schedule, warmup, weightDecay,
                    beta1, beta2, eps, maxGradNorm, anchorDecay, holdAbsentTokens);
        }

        public Optimizer withSchedule(Schedule s, int warmupSteps) {
            return new Optimizer(lr, s, warmupSteps, weightDecay,
                    beta1, beta2, eps, maxGradNorm, anchorDecay, holdAbsentTokens);
        }

        public Optimizer withWeightDecay(double v) {
            return new Optimizer(lr, schedule, warmup, v,
                    beta1, beta2, eps, maxGradNorm, anchorDecay, holdAbsentTokens);
        }

        public Optimizer withBetas(double b1, double b2) {
            return new Optimizer(lr, schedule, warmup, weightDecay,
                    b1, b2, eps, maxGradNorm, anchorDecay, holdAbsentTokens);
        }

        public Optimizer withEps(double v) {
            return new Optimizer(lr, schedule, warmup, weightDecay,
                    beta1, beta2, v, maxGradNorm, anchorDecay, holdAbsentTokens);
        }

        public Optimizer withHoldAbsentTokens(boolean h) {
            return new Optimizer(lr, schedule, warmup, weightDecay, beta1, beta2, eps, maxGradNorm, anchorDecay, h);
        }

        public Optimizer withAnchorDecay(double v) {
            return new Optimizer(lr, schedule, warmup, weightDecay,
                    beta1, beta2, eps, maxGradNorm, v, holdAbsentTokens);
        }

        public Optimizer withMaxGradNorm(double v) {
            return new Optimizer(lr, schedule, warmup, weightDecay,
                    beta1, beta2, eps, v, anchorDecay, holdAbsentTokens);
        }
    }

    /**
     * How the run steps, logs and checkpoints.
     *
     * @param epochs passes over the data (ignored when maxSteps > 0)
     * @param maxSteps optimizer steps to run; 0 means epochs decide
     * @param batchSize sequences per micro-batch (rows of maxLength tokens when packing)
     * @param gradAccum micro-batches per optimizer step
     * @param seed shuffling, adapter initialisation and dropout
     * @param checkpointEvery optimizer steps between checkpoints (0: only at the end)
     * @param keepCheckpoints how many checkpoints to keep (oldest removed first)
     * @param logEvery optimizer steps between metric lines
     * @param resume continue from the newest checkpoint in the output folder
     * @param deterministic one thread and per-step seeds, so a resumed run ends exactly where an uninterrupted one does
     */
    public record Run(int epochs, int maxSteps, int batchSize, int gradAccum, long seed, int checkpointEvery,
            int keepCheckpoints, int logEvery, boolean resume, boolean deterministic) {
        public Run {
            if (epochs < 1 && maxSteps < 1) throw new AbsorbException("--epochs or --max-steps must be at least 1.");
            if (maxSteps < 0) throw new AbsorbException("--max-steps must be at least 0, not " + maxSteps + ".");
            if (batchSize < 1) throw new AbsorbException("--batch-size must be at least 1, not " + batchSize + ".");
            if (gradAccum < 1) throw new AbsorbException("--grad-accum must be at least 1, not " + gradAccum + ".");
            if (checkpointEvery < 0) throw new AbsorbException("--checkpoint-every must be at least 0.");
            if (keepCheckpoints < 1) throw new AbsorbException("--keep-checkpoints must be at least 1.");
            if (logEvery < 1) throw new AbsorbException("--log-every must be at least 1.");
        }

        public static final Run DEFAULTS = new Run(1, 0, 8, 1, 42, 500, 2, 10, false, false);

        public Run withEpochs(int e) {
            return new Run(e, maxSteps, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints, logEvery, resume,
                    deterministic);
        }

        public Run withMaxSteps(int s) {
            return new Run(epochs, s, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints, logEvery, resume,
                    deterministic);
        }

        public Run withBatch(int size, int accumulate) {
            return new Run(epochs, maxSteps, size, accumulate, seed, checkpointEvery, keepCheckpoints, logEvery, resume,
                    deterministic);
        }

        public Run withSeed(long s) {
            return new Run(epochs, maxSteps, batchSize, gradAccum, s, checkpointEvery, keepCheckpoints, logEvery, resume,
                    deterministic);
        }

        public Run withCheckpoints(int every, int keep) {
            return new Run(epochs, maxSteps, batchSize, gradAccum, seed, every, keep, logEvery, resume, deterministic);
        }

        public Run withLogEvery(int n) {
            return new Run(epochs, maxSteps, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints, n, resume,
                    deterministic);
        }

        public Run withResume(boolean r) {
            return new Run(epochs, maxSteps, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints, logEvery, r,
                    deterministic);
        }

        public Run withDeterministic(boolean d) {
            return new Run(epochs, maxSteps, batchSize, gradAccum, seed, checkpointEvery, keepCheckpoints, logEvery,
                    resume, d);
        }
    }

    public TrainConfig {
        if (optimizer.holdAbsentTokens() && lora.enabled()) {
            throw new AbsorbException("--hold-absent-tokens holds embedding rows in full fine-tuning; a LoRA adapter"
                    + " trains no embedding rows.");
        }
        if (data.dtype() != DataType.FLOAT32 && !lora.enabled()) {
            throw new AbsorbException("--dtype " + Compute.dtypeName(data.dtype()) + " trains LoRA adapters only (a"
                    + " frozen low-precision base, a float32 adapter); full fine-tuning trains in float32.");
        }
    }

    /** Full fine-tuning of {@code model} on {@code file} into {@code out}, every other setting at its default. */
    public static TrainConfig defaults(Path model, Path file, Path out) {
        return new TrainConfig(new Data(model, file, out, DataType.FLOAT32, 1024, false, false), Lora.OFF,
                Optimizer.DEFAULTS, Run.DEFAULTS);
    }

    public TrainConfig withData(Data d) {
        return new TrainConfig(d, lora, optimizer, run);
    }

    public TrainConfig withLora(Lora l) {
        return new TrainConfig(data, l, optimizer, run);
    }

    public TrainConfig withOptimizer(Optimizer o) {
        return new TrainConfig(data, lora, o, run);
    }

    public TrainConfig withRun(Run r) {
        return new TrainConfig(data, lora, optimizer, r);
    }

    /** The output folder. */
    public Path out() {
        return data.out();
    }

    /** The fields that must match for a checkpoint to be resumed, as JSON. */
    ObjectNode fingerprint(ObjectNode o) {
        o.put("model", data.model().toAbsolutePath().normalize().toString());
        if (data.file() != null) o.put("data", data.file().toAbsolutePath().normalize().toString());
        o.put("lora", lora.enabled());
        if (lora.adapter() != null) o.put("adapter", lora.adapter().toAbsolutePath().normalize().toString());
        if (lora.enabled()) {
            o.put("lora_rank", lora.rank());
            o.put("lora_alpha", lora.alpha());
            o.put("lora_dropout", lora.dropout());
            o.put("lora_targets", String.join(",", lora.targets()));
        }
        o.put("epochs", run.epochs());
        o.put("max_steps", run.maxSteps());
        o.put("lr", optimizer.lr());
        o.put("schedule", optimizer.schedule().spelling());
        o.put("warmup", optimizer.warmup());
        o.put("weight_decay", optimizer.weightDecay());
        o.put("beta1", optimizer.beta1());
        o.put("beta2", optimizer.beta2());
        o.put("eps", optimizer.eps());
        o.put("max_grad_norm", optimizer.maxGradNorm());
        if (optimizer.anchorDecay() > 0) o.put("anchor_decay", optimizer.anchorDecay());
        if (optimizer.holdAbsentTokens()) o.put("hold_absent_tokens", true);
        o.put("batch_size", run.batchSize());
        o.put("grad_accum", run.gradAccum());
        o.put("max_length", data.maxLength());
        o.put("reject_long", data.rejectLong());
        o.put("packing", data.packing());
        o.put("seed", run.seed());
        o.put("deterministic", run.deterministic());
        o.put("dtype", data.dtype() == DataType.BFLOAT16 ? "bf16" : Compute.dtypeName(data.dtype()));
        return o;
    }
}
