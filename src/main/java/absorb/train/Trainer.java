package absorb.train;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.LoraAdapter;
import absorb.model.Safetensors;
import absorb.model.Tokenizer;
import absorb.model.Transformer;
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

    /** One logged optimizer step. */
    public record StepMetrics(int step, int totalSteps, double epoch, double loss, double lr, double gradNorm,
            double tokensPerSecond, double elapsedSeconds, double etaSeconds) {}

    /** Receives progress. */
    public interface Listener {
        void onStep(StepMetrics m);

        default void onMessage(String message) {}
    }

    /** What a run produced. */
    public record Result(Path out, int steps, double finalLoss, List<StepMetrics> history, boolean interrupted) {}

    private final TrainConfig c;
    private final Listener listener;
    private volatile boolean stopRequested;

    private Trainer(TrainConfig config, Listener listener) {
        this.c = config;
        this.listener = listener;
    }

    public static Result run(TrainConfig config, Listener listener) {
        return new Trainer(config, listener).run(null, 0, null);
    }

    /**
     * Trains on {@code stream} instead of the config's data file; every {@code evalEvery} steps (0: never)
     * {@code evaluation} receives the step and the model (gradients off, training mode off).
     */
    public static Result run(TrainConfig config, TrainingStream stream, Listener listener, int evalEvery,
            java.util.function.BiConsumer<Integer, Transformer> evaluation) {
        return new Trainer(config, listener).run(stream, evalEvery, evaluation);
    }

    /** Asks a running loop to stop after the current step, with a checkpoint. */
    public void requestStop() {
        stopRequested = true;
    }

    private Result run(TrainingStream given, int evalEvery, java.util.function.BiConsumer<Integer, Transformer> evaluation) {
        prepareOutput();
        if (c.deterministic()) Compute.setThreads(1);
        TrainingStream stream = given != null ? given : fileStream();
        int totalSteps = stream.totalSteps();
        listener.onMessage(stream.describe());
        String dataHash = stream.fingerprint();

        try (Transformer model = Checkpoint.load(c.model(), Compute.CPU_FLOAT32.withDtype(Compute.parseDtype(c.dtype())))) {
            LoraAdapter.Config loraConfig = null;
            Map<String, NDArray> params;
            if (c.lora() && c.adapter() != null) {
                // continue training an adapter: its own configuration, its weights in float32
                loraConfig = LoraAdapter.load(c.adapter(), model, DataType.FLOAT32);
                params = LoraAdapter.attached(model);
            } else if (c.lora()) {
                loraConfig = new LoraAdapter.Config(c.loraRank(), c.loraAlpha(), c.loraDropout(), c.loraTargets(), false,
                        Map.of(), Map.of(), c.model().toAbsolutePath().normalize().toString());
                params = LoraAdapter.attachNew(model, loraConfig, c.seed());
            } else {
                model.prepareForTraining();
                params = model.parameters();
            }
            if (c.lora()) model.setTraining(true, c.loraDropout());
            params.values().forEach(p -> p.setRequiresGradient(true));
            LrSchedule schedule = new LrSchedule(c.schedule(), c.warmup(), totalSteps);
            try (AdamW opt = new AdamW(params, c.weightDecay(), AdamW::decaysByDefault, c.beta1(), c.beta2(), c.eps(),
                    model.manager())) {
                int start = 0;
                List<StepMetrics> history = new ArrayList<>();
                if (c.resume()) start = resume(params, opt, dataHash, history);
                else clearCheckpoints();
                Result r = loop(model, params, opt, schedule, stream, start, totalSteps, dataHash, history, evalEvery,
                        evaluation);
                model.setTraining(false, 0);
                if (!r.interrupted()) finish(model, loraConfig, history);
                return r;
            }
        }
    }

    /** The config's JSONL file, read, tokenized and planned into steps. */
    private TrainingStream fileStream() {
        TrainingData.Loaded data;
        long padId;
        try (Tokenizer tok = Tokenizer.load(c.model())) {
            data = TrainingData.load(c.data(), tok, c.maxLength(), c.rejectLong());
            padId = tok.padId() != null ? tok.padId() : tok.eosId() != null ? tok.eosId() : 0;
        }
        if (data.truncated() > 0) {
            listener.onMessage(data.truncated() + " of " + data.examples().size() + " examples were longer than --max-length "
                    + c.maxLength() + " and were cut.");
        }
        Plan plan = new Plan(data.examples(), padId);
        String hash = sha256(c.data());
        String line = String.format("%d examples, %,d tokens (%,d trained on); %d optimizer steps of %d x %d%s.",
                data.examples().size(), data.tokens(), data.targetTokens(), plan.totalSteps(), c.batchSize(),
                c.gradAccum(), c.packing() ? " packed rows" : " sequences");
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
        };
    }

    private Result loop(Transformer model, Map<String, NDArray> params, AdamW opt, LrSchedule schedule,
            TrainingStream plan, int start, int totalSteps, String dataHash, List<StepMetrics> history, int evalEvery,
            java.util.function.BiConsumer<Integer, Transformer> evaluation) {
        sun.misc.SignalHandler previous = installInterrupt();
        try (CausalLmLoss objective = new CausalLmLoss(model)) {
            long t0 = System.nanoTime();
            long tokens = 0;
            // a run resumed at its end trains no step: its final loss is the last one logged
            double loss = history.isEmpty() ? Double.NaN : history.get(history.size() - 1).loss();
            int step = start;
            for (; step < totalSteps; step++) {
                Engine.getEngine("PyTorch").setRandomSeed((int) (c.seed() * 1_000_003L + step));
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
                double lr = c.lr() * schedule.multiplier(step);
                double norm = opt.step(step + 1, lr, c.maxGradNorm());
                loss = stepLoss;
                int done = step + 1;
                double elapsed = (System.nanoTime() - t0) / 1e9;
                StepMetrics m = new StepMetrics(done, totalSteps, plan.epochOf(done), stepLoss, lr, norm,
                        tokens / Math.max(elapsed, 1e-9), elapsed, elapsed / (done - start) * (totalSteps - done));
                if (done % c.logEvery() == 0 || done == totalSteps || done == start + 1) {
                    history.add(m);
                    appendMetrics(m);
                }
                listener.onStep(m);
                if (evaluation != null && evalEvery > 0 && (done % evalEvery == 0 || done == totalSteps)) {
                    model.setTraining(false, 0);
                    objective.releaseBuffer();
                    evaluation.accept(done, model);
                    if (c.lora()) model.setTraining(true, c.loraDropout());
                }
                boolean last = done == totalSteps;
                if (stopRequested || (c.checkpointEvery() > 0 && done % c.checkpointEvery() == 0) || last) {
                    saveCheckpoint(done, params, opt, dataHash);
                }
                if (stopRequested && !last) {
                    listener.onMessage("Interrupted: checkpoint saved at step " + done + "; continue with --resume.");
                    return new Result(c.out(), done, loss, history, true);
                }
            }
            return new Result(c.out(), totalSteps, loss, history, false);
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
            Collections.shuffle(order, new Random(c.seed() + e));
            List<Batch> batches = new ArrayList<>();
            if (c.packing()) {
                batches.addAll(Batch.packed(order, c.maxLength(), c.batchSize(), padId));
            } else {
                for (int i = 0; i < order.size(); i += c.batchSize()) {
                    batches.add(Batch.padded(order.subList(i, Math.min(order.size(), i + c.batchSize())), padId));
                }
            }
            cachedEpoch = e;
            cached = batches;
            return batches;
        }

        int totalMicroBatches() {
            return c.maxSteps() > 0 ? c.maxSteps() * c.gradAccum() : c.epochs() * perEpoch;
        }

        int totalSteps() {
            return c.maxSteps() > 0 ? c.maxSteps() : (totalMicroBatches() + c.gradAccum() - 1) / c.gradAccum();
        }

        List<Batch> step(int s) {
            List<Batch> out = new ArrayList<>();
            int end = Math.min((s + 1) * c.gradAccum(), totalMicroBatches());
            for (int k = s * c.gradAccum(); k < end; k++) out.add(epoch(k / perEpoch).get(k % perEpoch));
            return out;
        }

        double epochOf(int stepsDone) {
            return Math.min(totalMicroBatches(), (double) stepsDone * c.gradAccum()) / perEpoch;
        }
    }

    // ---- output folder, metrics, checkpoints ----

    private void prepareOutput() {
        try {
            Files.createDirectories(c.out());
            Path probe = Files.createTempFile(c.out(), ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new AbsorbException("Output folder " + c.out() + " is not writable (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ").");
        }
        if (!c.resume() && hasCheckpoints(c.out())) {
            throw new AbsorbException("Output folder " + c.out() + " already has checkpoints; pass --resume to continue that"
                    + " run, or choose another --out.");
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
            for (int i = 0; i < all.size() - c.keepCheckpoints(); i++) deleteTree(all.get(i));
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
            throw new AbsorbException("The training data " + (c.data() != null ? c.data() + " " : "") + "changed since checkpoint "
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
        target.set(source.toByteBuffer());
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
                        m.path("tokens_per_s").asDouble(), m.path("elapsed_s").asDouble(), 0));
            }
            AtomicFile.writeString(file, kept.toString());
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
    }

    /** The trained model (HF folder) or adapter (PEFT folder), the config, and the loss curve. */
    private void finish(Transformer model, LoraAdapter.Config lora, List<StepMetrics> history) {
        if (lora != null) {
            LoraAdapter.save(model, lora, c.out());
            Checkpoint.copyTokenizerFiles(c.model(), c.out());
        } else {
            Checkpoint.save(model, c.out(), c.model());
        }
        ObjectNode cfg = c.fingerprint(JSON.createObjectNode());
        cfg.put("out", c.out().toAbsolutePath().normalize().toString());
        cfg.put("checkpoint_every", c.checkpointEvery());
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
