package absorb.train;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.LoraAdapter;
import absorb.model.Safetensors;
import absorb.model.Tokenizer;
import absorb.model.Transformer;
import absorb.model.WeightKernels;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The fine-tuning loop. Each optimizer step takes {@code gradAccum} micro-batches, backpropagates each one's summed
 * token loss divided by the targets of the whole step (so the step's loss is the mean over its target tokens, as
 * transformers' Trainer computes it), then clips and applies AdamW at the scheduled learning rate. Checkpoints
 * (trainable tensors, optimizer moments, position) are written atomically; a run resumes from the latest one.
 */
public final class Trainer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One logged optimizer step; {@code evaluation} holds what an {@link Evaluation} measured after it (empty on the
     * steps it did not run).
     */
    public record StepMetrics(int step, int totalSteps, double epoch, double loss, double lr, double gradNorm,
            double tokensPerSecond, double elapsedSeconds, double etaSeconds, Map<String, Double> evaluation) {
        public StepMetrics {
            evaluation = Map.copyOf(evaluation);
        }
    }

    /** Receives progress. */
    public interface Listener {
        void onStep(StepMetrics m);

        default void onMessage(String message) {}

        /**
         * The run has been checked (options, data, model, output folder) and is about to take its first step: the
         * moment to write what belongs beside its checkpoints.
         */
        default void onReady() {}
    }

    /**
     * Measures the model during training (gradients and training mode off); the numbers it returns, by name, join
     * that step's metrics (metrics.jsonl, as eval.NAME) and the listener's {@link StepMetrics}.
     */
    @FunctionalInterface
    public interface Evaluation {
        Map<String, Double> evaluate(int step, Transformer model);
    }

    /**
     * What a run produced: the steps done, the last step's loss, the logged steps, whether it was stopped before the
     * end, and the tokens this call trained on (real tokens, not padding; steps of an earlier, resumed call excluded).
     */
    public record Result(Path out, int steps, double finalLoss, List<StepMetrics> history, boolean interrupted,
            long tokens) {}

    private final TrainConfig c;
    private final Listener listener;
    private TrainingStream stream;
    private int evalEvery;
    private Evaluation evaluation;
    private volatile boolean stopRequested;

    /** Token ids whose embedding rows training keeps at their values ({@link #freezeTokens}). */
    private long[] frozenTokens = new long[0];

    /** A run of {@code config}, reporting to {@code listener}; on the config's data file unless {@link #onStream}. */
    public Trainer(TrainConfig config, Listener listener) {
        this.c = config;
        this.listener = listener;
    }

    /** Trains on {@code s} instead of the config's data file. */
    public Trainer onStream(TrainingStream s) {
        this.stream = s;
        return this;
    }

    /** Runs {@code e} every {@code steps} optimizer steps and after the last one (0: never). */
    public Trainer evaluateEvery(int steps, Evaluation e) {
        if (steps < 0) throw new AbsorbException("The evaluation interval must be at least 0, not " + steps + ".");
        this.evalEvery = steps;
        this.evaluation = e;
        return this;
    }

    /**
     * Keeps the embedding rows of these token ids (and their rows of an untied lm_head) at their starting values in
     * full training; a LoRA run does not train embeddings anyway.
     */
    public Trainer freezeTokens(long[] ids) {
        this.frozenTokens = ids.clone();
        return this;
    }

    /** Asks a running loop to stop after the current step, with a checkpoint; {@link #run} then returns. */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Loads the config's model, trains it, writes the outputs, and closes the model. The data and the model are read
     * before the output folder is made, so that a run refused for either leaves nothing behind.
     */
    public Result run() {
        checkOutput();
        if (c.run().deterministic()) Compute.setThreads(1);
        TrainingStream data = stream != null ? stream : fileStream();
        try (Transformer model = Checkpoint.load(c.data().model(), Compute.CPU_FLOAT32.withDtype(c.data().dtype()))) {
            prepareOutput();
            return train(model, data);
        }
    }

    /**
     * Trains {@code model}, already loaded from the config's model folder in the config's dtype (the caller keeps
     * it open): full fine-tuning updates its weights in place; a LoRA run leaves the trained adapter attached (see
     * {@link LoraAdapter#detach}), so that the caller can evaluate it at once.
     */
    public Result run(Transformer model) {
        if (Compute.dtypeOf(model.finalNorm()) != c.data().dtype()) {
            throw new AbsorbException("The model given to the trainer computes in "
                    + Compute.dtypeName(Compute.dtypeOf(model.finalNorm())) + " but the run asks for "
                    + Compute.dtypeName(c.data().dtype()) + ".");
        }
        checkOutput();
        if (c.run().deterministic()) Compute.setThreads(1);
        TrainingStream data = stream != null ? stream : fileStream();
        prepareOutput();
        return train(model, data);
    }

    private Result train(Transformer model, TrainingStream data) {
        int totalSteps = data.totalSteps();
        listener.onMessage(data.describe());
        String dataHash = data.fingerprint();
        TrainConfig.Lora lora = c.lora();
        LoraAdapter.Config loraConfig = null;
        Map<String, NDArray> params;
        if (lora.enabled() && lora.adapter() != null) {
            // continue training an adapter: its own configuration, its weights in float32
            loraConfig = LoraAdapter.load(lora.adapter(), model, DataType.FLOAT32);
            params = LoraAdapter.attached(model);
        } else if (lora.enabled()) {
            loraConfig = lora.toAdapterConfig(c.data().model());
            params = LoraAdapter.attachNew(model, loraConfig, c.run().seed());
        } else {
            model.prepareForTraining();
            params = model.parameters();
        }
        if (lora.enabled()) model.setTraining(true, lora.dropout());
        params.values().forEach(p -> p.setRequiresGradient(true));
        LrSchedule schedule = new LrSchedule(c.optimizer().schedule(), c.optimizer().warmup(), totalSteps);
        TrainConfig.Optimizer o = c.optimizer();
        try (AdamW opt = new AdamW(params, o.weightDecay(), AdamW::decaysByDefault, o.beta1(), o.beta2(), o.eps(),
                model.manager())) {
            // anchored at the weights the run started from, before a resume loads the checkpoint's
            opt.anchor(o.anchorDecay());
            int start = 0;
            List<StepMetrics> history = new ArrayList<>();
            if (c.run().resume()) start = resume(params, opt, dataHash, history);
            else clearCheckpoints();
            // held at the values training starts (or resumes) from
            if (!lora.enabled()) holdTokenRows(model, params, opt, data);
            listener.onReady();
            Result r = loop(model, params, opt, schedule, data, start, totalSteps, dataHash, history);
            model.setTraining(false, 0);
            if (!r.interrupted()) finish(model, loraConfig, history);
            return r;
        } finally {
            model.setTraining(false, 0);
            if (!lora.enabled()) params.values().forEach(p -> p.setRequiresGradient(false));
        }
    }

    /**
     * Holds the token rows that do not train: those of {@link #freezeTokens}, and with the optimizer's
     * holdAbsentTokens those of every token absent from {@code data}.
     */
    private void holdTokenRows(Transformer model, Map<String, NDArray> params, AdamW opt, TrainingStream data) {
        boolean absent = c.optimizer().holdAbsentTokens();
        if (frozenTokens.length == 0 && !absent) return;
        int vocab = model.config().vocabSize();
        float[] keep = new float[vocab];
        if (absent) {
            long[] present = data.tokenIds();
            if (present == null) {
                throw new AbsorbException("Holding the rows of tokens absent from the data needs a data file, which"
                        + " this run does not train on.");
            }
            for (long id : present) keep[checkedId(id, vocab)] = 1f;
            listener.onMessage(String.format("The embedding rows of %d of the %d tokens, those absent from the data,"
                    + " are held.", vocab - present.length, vocab));
        } else {
            java.util.Arrays.fill(keep, 1f);
        }
        for (long id : frozenTokens) keep[checkedId(id, vocab)] = 0f;
        for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
            if (!params.containsKey(name)) continue;
            opt.hold(name, keep, model.perTokenShape(name));
        }
    }

    private static int checkedId(long id, int vocab) {
        if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        return (int) id;
    }

    /** The config's JSONL file, read, tokenized and planned into steps. */
    private TrainingStream fileStream() {
        TrainingData.Loaded data;
        long padId;
        try (Tokenizer tok = Tokenizer.load(c.data().model())) {
            data = TrainingData.load(c.data().file(), tok, c.data().maxLength(), c.data().rejectLong());
            padId = tok.padId() != null ? tok.padId() : tok.eosId() != null ? tok.eosId() : 0;
        }
        if (data.truncated() > 0) {
            listener.onMessage(data.truncated() + " of " + data.examples().size() + " examples were longer than --max-length "
                    + c.data().maxLength() + " and were cut.");
        }
        Plan plan = new Plan(data.examples(), padId);
        String hash = sha256(c.data().file());
        String line = String.format("%d examples, %,d tokens (%,d trained on); %d optimizer steps of %d x %d%s.",
                data.examples().size(), data.tokens(), data.targetTokens(), plan.totalSteps(), c.run().batchSize(),
                c.run().gradAccum(), c.data().packing() ? " packed rows" : " sequences");
        return new TrainingStream() {
            public int totalSteps() {
                return plan.totalSteps();
            }

            public List<Batch> step(int s) {
                return plan.step(s);
            }

            public double epochOf(int stepsDone) {
                return plan.epochOf(stepsDone);
            }

            public String fingerprint() {
                return hash;
            }

            public String describe() {
                return line;
            }

            public long[] tokenIds() {
                return data.examples().stream().flatMapToLong(e -> java.util.Arrays.stream(e.ids())).distinct().sorted()
                        .toArray();
            }
        };
    }

    private Result loop(Transformer model, Map<String, NDArray> params, AdamW opt, LrSchedule schedule,
            TrainingStream plan, int start, int totalSteps, String dataHash, List<StepMetrics> history) {
        sun.misc.SignalHandler previous = installInterrupt();
        try (CausalLmLoss objective = new CausalLmLoss(model)) {
            long t0 = System.nanoTime();
            long tokens = 0, evaluating = 0;
            // a run resumed at its end trains no step: its final loss is the last one logged
            double loss = history.isEmpty() ? Double.NaN : history.get(history.size() - 1).loss();
            int step = start;
            for (; step < totalSteps; step++) {
                Engine.getEngine("PyTorch").setRandomSeed((int) (c.run().seed() * 1_000_003L + step));
                List<Batch> micro = plan.step(step);
                int targets = micro.stream().mapToInt(Batch::targets).sum();
                double stepLoss = 0;
                for (Batch b : micro) {
                    stepLoss += objective.backward(b, 1.0 / targets);
                    tokens += b.tokens();
                }
                if (!Double.isFinite(stepLoss)) {
                    throw new AbsorbException("The loss became " + stepLoss + " at step " + (step + 1) + "; training stopped"
                            + " before applying that update. " + lastCheckpointNote() + " Lower --lr or check the data.");
                }
                double lr = c.optimizer().lr() * schedule.multiplier(step);
                double norm = opt.step(step + 1, lr, c.optimizer().maxGradNorm());
                loss = stepLoss;
                int done = step + 1;
                double elapsed = (System.nanoTime() - t0 - evaluating) / 1e9; // evaluations are not training time
                Map<String, Double> measured = Map.of();
                if (evaluation != null && evalEvery > 0 && (done % evalEvery == 0 || done == totalSteps)) {
                    long e0 = System.nanoTime();
                    model.setTraining(false, 0);
                    objective.releaseBuffer();
                    measured = evaluation.evaluate(done, model);
                    if (c.lora().enabled()) model.setTraining(true, c.lora().dropout());
                    evaluating += System.nanoTime() - e0;
                }
                StepMetrics m = new StepMetrics(done, totalSteps, plan.epochOf(done), stepLoss, lr, norm,
                        tokens / Math.max(elapsed, 1e-9), elapsed, elapsed / (done - start) * (totalSteps - done), measured);
                if (done % c.run().logEvery() == 0 || done == totalSteps || done == start + 1 || !measured.isEmpty()) {
                    history.add(m);
                    appendMetrics(m);
                }
                listener.onStep(m);
                boolean last = done == totalSteps;
                if (stopRequested || (c.run().checkpointEvery() > 0 && done % c.run().checkpointEvery() == 0) || last) {
                    saveCheckpoint(done, params, opt, dataHash);
                }
                if (stopRequested && !last) {
                    listener.onMessage("Interrupted: checkpoint saved at step " + done + "; continue with --resume.");
                    return new Result(c.out(), done, loss, history, true, tokens);
                }
            }
            return new Result(c.out(), totalSteps, loss, history, false, tokens);
        } finally {
            restoreInterrupt(previous);
        }
    }

    /** Ctrl-C asks the loop to stop at the end of the step (with a checkpoint); a second one ends the process. */
    private sun.misc.SignalHandler installInterrupt() {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                if (stopRequested) Runtime.getRuntime().halt(130);
                stopRequested = true;
                listener.onMessage("Stopping after this step (press Ctrl-C again to quit at once)...");
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void restoreInterrupt(sun.misc.SignalHandler previous) {
        if (previous != null) sun.misc.Signal.handle(new sun.misc.Signal("INT"), previous);
    }

    /** Which micro-batches each optimizer step takes: the data shuffled per epoch with the seed, then batched. */
    private final class Plan {
        private final List<TrainingData.Example> examples;
        private final long padId;
        private final int perEpoch;
        private int cachedEpoch = -1;
        private List<Batch> cached;

        Plan(List<TrainingData.Example> examples, long padId) {
            this.examples = examples;
            this.padId = padId;
            this.perEpoch = epoch(0).size();
        }

        List<Batch> epoch(int e) {
            if (e == cachedEpoch) return cached;
            List<TrainingData.Example> order = new ArrayList<>(examples);
            Collections.shuffle(order, new Random(c.run().seed() + e));
            List<Batch> batches = new ArrayList<>();
            if (c.data().packing()) {
                batches.addAll(Batch.packed(order, c.data().maxLength(), c.run().batchSize(), padId));
            } else {
                for (int i = 0; i < order.size(); i += c.run().batchSize()) {
                    batches.add(Batch.padded(order.subList(i, Math.min(order.size(), i + c.run().batchSize())), padId));
                }
            }
            cachedEpoch = e;
            cached = batches;
            return batches;
        }

        int totalMicroBatches() {
            return c.run().maxSteps() > 0 ? c.run().maxSteps() * c.run().gradAccum() : c.run().epochs() * perEpoch;
        }

        int totalSteps() {
            return c.run().maxSteps() > 0 ? c.run().maxSteps() : (totalMicroBatches() + c.run().gradAccum() - 1) / c.run().gradAccum();
        }

        List<Batch> step(int s) {
            List<Batch> out = new ArrayList<>();
            int end = Math.min((s + 1) * c.run().gradAccum(), totalMicroBatches());
            for (int k = s * c.run().gradAccum(); k < end; k++) out.add(epoch(k / perEpoch).get(k % perEpoch));
            return out;
        }

        double epochOf(int stepsDone) {
            return Math.min(totalMicroBatches(), (double) stepsDone * c.run().gradAccum()) / perEpoch;
        }
    }

    // ---- output folder, metrics, checkpoints ----

    /** Refuses, before anything is read or written, an output folder whose checkpoints only --resume may continue. */
    private void checkOutput() {
        if (!c.run().resume() && hasCheckpoints(c.out())) {
            throw new AbsorbException("Output folder " + c.out() + " already has checkpoints; pass --resume to continue that"
                    + " run, or choose another --out.");
        }
    }

    /** Makes the output folder and checks that it takes files. */
    private void prepareOutput() {
        try {
            Files.createDirectories(c.out());
            Path probe = Files.createTempFile(c.out(), ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new AbsorbException("Output folder " + c.out() + " is not writable (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ").");
        }
    }

    private Path checkpoints() {
        return c.out().resolve("checkpoints");
    }

    private List<Path> listCheckpoints() {
        return checkpointsIn(c.out());
    }

    /** Whether output folder {@code out} holds a checkpoint that --resume would continue from. */
    public static boolean hasCheckpoints(Path out) {
        return !checkpointsIn(out).isEmpty();
    }

    /** The complete checkpoints in output folder {@code out}, oldest first. */
    private static List<Path> checkpointsIn(Path out) {
        Path dir = out.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve("state.json")))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new AbsorbException("Cannot list " + dir + ": " + e.getMessage() + ".");
        }
    }

    private String lastCheckpointNote() {
        List<Path> all = listCheckpoints();
        return all.isEmpty() ? "No checkpoint was written yet." : "The last good checkpoint is " + all.get(all.size() - 1) + ".";
    }

    private void clearCheckpoints() {
        try {
            Files.deleteIfExists(c.out().resolve("metrics.jsonl"));
        } catch (IOException e) {
            throw new AbsorbException("Cannot reset " + c.out().resolve("metrics.jsonl") + ": " + e.getMessage() + ".");
        }
    }

    /** Writes a checkpoint into a hidden folder, then renames it into place; keeps the newest few. */
    private void saveCheckpoint(int step, Map<String, NDArray> params, AdamW opt, String dataHash) {
        Path dir = checkpoints().resolve(String.format("step-%08d", step));
        Path tmp = checkpoints().resolve(String.format(".step-%08d.tmp", step));
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Safetensors.write(tmp.resolve("trainable.safetensors"), params, Map.of());
            Map<String, NDArray> moments = new LinkedHashMap<>();
            opt.expAvg().forEach((k, v) -> moments.put("exp_avg." + k, v));
            opt.expAvgSq().forEach((k, v) -> moments.put("exp_avg_sq." + k, v));
            Safetensors.write(tmp.resolve("optimizer.safetensors"), moments, Map.of());
            ObjectNode state = JSON.createObjectNode();
            state.put("step", step);
            state.put("data_sha256", dataHash);
            c.fingerprint(state.putObject("config"));
            AtomicFile.writeString(tmp.resolve("state.json"), state.toPrettyString());
            deleteTree(dir);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
            List<Path> all = listCheckpoints();
            for (int i = 0; i < all.size() - c.run().keepCheckpoints(); i++) deleteTree(all.get(i));
        } catch (IOException e) {
            throw new AbsorbException("Cannot write checkpoint " + dir + ": " + e.getMessage() + ".");
        }
    }

    /** Loads the newest checkpoint into the trainable tensors and the optimizer; returns the steps it had done. */
    private int resume(Map<String, NDArray> params, AdamW opt, String dataHash, List<StepMetrics> history) {
        List<Path> all = listCheckpoints();
        if (all.isEmpty()) {
            listener.onMessage("No checkpoint in " + checkpoints() + "; starting from the beginning.");
            clearCheckpoints();
            return 0;
        }
        Path dir = all.get(all.size() - 1);
        JsonNode state;
        try {
            state = JSON.readTree(dir.resolve("state.json").toFile());
        } catch (IOException e) {
            throw new AbsorbException("Checkpoint " + dir + " has an unreadable state.json.");
        }
        JsonNode saved = state.get("config");
        JsonNode now = c.fingerprint(JSON.createObjectNode());
        if (saved == null || !now.toString().equals(saved.toString())) {
            throw new AbsorbException("Checkpoint " + dir + " was made with other settings (" + difference(saved, now)
                    + "); resume with the same options, or start afresh in another --out.");
        }
        if (!dataHash.equals(state.path("data_sha256").asText())) {
            throw new AbsorbException("The training data " + (c.data().file() != null ? c.data().file() + " " : "") + "changed since checkpoint "
                    + dir + " was written.");
        }
        try (NDManager scratch = NDManager.newBaseManager("PyTorch");
                Safetensors trainable = Safetensors.open(dir.resolve("trainable.safetensors"));
                Safetensors moments = Safetensors.open(dir.resolve("optimizer.safetensors"))) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                copyInto(e.getValue(), trainable.read(scratch, e.getKey(), DataType.FLOAT32));
                copyInto(opt.expAvg().get(e.getKey()), moments.read(scratch, "exp_avg." + e.getKey(), DataType.FLOAT32));
                copyInto(opt.expAvgSq().get(e.getKey()), moments.read(scratch, "exp_avg_sq." + e.getKey(), DataType.FLOAT32));
            }
        }
        int step = state.path("step").asInt();
        truncateMetrics(step, history);
        listener.onMessage("Resuming from " + dir + " (step " + step + ").");
        return step;
    }

    private static void copyInto(NDArray target, NDArray source) {
        if (!target.getShape().equals(source.getShape())) {
            throw new AbsorbException("A checkpoint tensor has shape " + source.getShape() + " where the run needs "
                    + target.getShape() + ".");
        }
        WeightKernels.copyInto(target, source);
    }

    private static String difference(JsonNode saved, JsonNode now) {
        List<String> diffs = new ArrayList<>();
        now.fieldNames().forEachRemaining(k -> {
            if (saved == null || saved.get(k) == null || !now.get(k).toString().equals(saved.get(k).toString())) {
                diffs.add(k + " " + (saved == null || saved.get(k) == null ? "?" : saved.get(k)) + " -> " + now.get(k));
            }
        });
        return String.join(", ", diffs);
    }

    private void appendMetrics(StepMetrics m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", m.step());
        o.put("epoch", m.epoch());
        o.put("loss", m.loss());
        o.put("lr", m.lr());
        o.put("grad_norm", m.gradNorm());
        o.put("tokens_per_s", m.tokensPerSecond());
        o.put("elapsed_s", m.elapsedSeconds());
        m.evaluation().forEach((k, v) -> o.put("eval." + k, v));
        try {
            Files.writeString(c.out().resolve("metrics.jsonl"), o + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + c.out().resolve("metrics.jsonl") + ": " + e.getMessage() + ".");
        }
    }

    /** Drops metric lines past the checkpoint (those steps run again) and reloads the rest into the history. */
    private void truncateMetrics(int step, List<StepMetrics> history) {
        Path file = c.out().resolve("metrics.jsonl");
        if (!Files.isRegularFile(file)) return;
        try {
            StringBuilder kept = new StringBuilder();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode m = JSON.readTree(line);
                if (m.path("step").asInt() > step) continue;
                kept.append(line).append('\n');
                history.add(new StepMetrics(m.path("step").asInt(), 0, m.path("epoch").asDouble(),
                        m.path("loss").asDouble(), m.path("lr").asDouble(), m.path("grad_norm").asDouble(),
                        m.path("tokens_per_s").asDouble(), m.path("elapsed_s").asDouble(), 0, evaluation(m)));
            }
            AtomicFile.writeString(file, kept.toString());
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
    }

    /** The eval.NAME entries of a metrics line. */
    private static Map<String, Double> evaluation(JsonNode line) {
        Map<String, Double> out = new LinkedHashMap<>();
        line.properties().forEach(e -> {
            if (e.getKey().startsWith("eval.") && e.getValue().isNumber()) out.put(e.getKey().substring(5), e.getValue().asDouble());
        });
        return out;
    }

    /** The trained model (HF folder) or adapter (PEFT folder), the config, and the loss curve. */
    private void finish(Transformer model, LoraAdapter.Config lora, List<StepMetrics> history) {
        if (lora != null) {
            LoraAdapter.save(model, lora, c.out());
            Checkpoint.copyTokenizerFiles(c.data().model(), c.out());
        } else {
            Checkpoint.save(model, c.out(), c.data().model());
        }
        ObjectNode cfg = c.fingerprint(JSON.createObjectNode());
        cfg.put("out", c.out().toAbsolutePath().normalize().toString());
        cfg.put("checkpoint_every", c.run().checkpointEvery());
        AtomicFile.writeString(c.out().resolve("training_config.json"), cfg.toPrettyString());
        LossCurve.write(history, c.out().resolve("loss_curve.png"));
    }

    static String sha256(Path file) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
