package absorb.toy;

import absorb.AbsorbException;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.io.AtomicFile;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.GenerationConfig;
import absorb.io.JsonFiles;
import absorb.model.LanguageModel;
import absorb.model.ModelConfig;
import absorb.model.Tokenizer;
import absorb.model.Transformer;
import absorb.train.Batch;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import absorb.train.TrainingData;
import absorb.train.TrainingStream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Trains the embedded default model from scratch on the graphs world: a small Llama-architecture model with a
 * word-level tokenizer, by absorb's own training loop, tracking in-context accuracy and the spectral score on a
 * fresh 4x4 grid as it goes. The result is a Hugging Face model folder.
 */
public final class ToyPretrain {

    /**
     * One phase of training: {@code steps} steps of {@code batch} sequences of {@code length} words of the world with
     * {@code pairShare} of its sequences neighbour pairs, under a fresh cosine schedule peaking at {@code lr} after
     * {@code warmup} steps.
     */
    public record Phase(int steps, int length, int batch, double lr, int warmup, double pairShare) {}

    /**
     * The model (layers, width, heads, MLP width) and its training: phases that each continue from the last.
     * {@code options} are the command-line overrides that made this from the preset of the same name.
     */
    public record Size(String name, int layers, int hidden, int heads, int intermediate, List<Phase> phases,
            List<String> options) {
        public static final Map<String, Size> PRESETS = Map.of(
                "small", new Size("small", 4, 128, 4, 512, List.of(new Phase(6000, 256, 16, 1e-3, 300, 0.0),
                        new Phase(6000, 256, 16, 1e-3, 100, 0.0), new Phase(3000, 512, 8, 1e-3, 100, 0.3)), List.of()),
                "tiny", new Size("tiny", 2, 64, 4, 256, List.of(new Phase(60, 64, 8, 3e-3, 10, 0.0)), List.of()));

        public static Size of(String name) {
            Size s = PRESETS.get(name);
            if (s == null) throw new AbsorbException("--size " + name + " is not known; use small or tiny.");
            return s;
        }

        /** The first {@code n} of the phases; past the last, more phases like the last. */
        public Size withPhases(int n) {
            List<Phase> out = new ArrayList<>();
            for (int k = 0; k < n; k++) out.add(phases.get(Math.min(k, phases.size() - 1)));
            return with(out, "--phases " + n);
        }

        /** Every phase {@code n} steps long. */
        public Size withSteps(int n) {
            return with(map(p -> new Phase(n, p.length(), p.batch(), p.lr(), p.warmup(), p.pairShare())), "--steps " + n);
        }

        public Size withLr(double rate) {
            return with(map(p -> new Phase(p.steps(), p.length(), p.batch(), rate, p.warmup(), p.pairShare())),
                    "--lr " + rate);
        }

        public Size withWarmup(int steps) {
            return with(map(p -> new Phase(p.steps(), p.length(), p.batch(), p.lr(), steps, p.pairShare())),
                    "--warmup " + steps);
        }

        /** Sequences of {@code words} words in every phase, the batch scaled to keep each phase's tokens per step. */
        public Size withLength(int words) {
            return with(map(p -> new Phase(p.steps(), words, Math.max(1, p.batch() * p.length() / words), p.lr(),
                    p.warmup(), p.pairShare())), "--length " + words);
        }

        public Size withPairShare(double share) {
            return with(map(p -> new Phase(p.steps(), p.length(), p.batch(), p.lr(), p.warmup(), share)),
                    "--pair-share " + share);
        }

        private List<Phase> map(java.util.function.UnaryOperator<Phase> f) {
            return phases.stream().map(f).toList();
        }

        private Size with(List<Phase> p, String option) {
            List<String> o = new ArrayList<>(options);
            o.add(option);
            return new Size(name, layers, hidden, heads, intermediate, List.copyOf(p), List.copyOf(o));
        }
    }

    private ToyPretrain() {}

    /**
     * Trains every phase of {@code size} into {@code out}: phase k (from 1) uses seed {@code seed + k - 1} and starts
     * from phase k - 1 (the first from {@code from}, or random weights). Earlier phases train in {@code out/phaseK};
     * at the end their logs move into {@code out} as {@code phaseK_*} and their folders are removed. With
     * {@code resume}, finished phases are kept and the interrupted one continues.
     */
    public static Trainer.Result runPhases(Size size, long seed, Path from, Path out, boolean resume, int evalEvery,
            Trainer.Listener log) {
        if (from != null) checkModelFolder(from);
        Path previous = from;
        Trainer.Result r = null;
        int count = size.phases().size();
        for (int k = 1; k <= count; k++) {
            boolean last = k == count;
            Path dir = last ? out : out.resolve("phase" + k);
            if (resume && !last && Files.isRegularFile(dir.resolve("model.safetensors")) && !Trainer.hasCheckpoints(dir)) {
                log.onMessage("Phase " + k + " of " + count + " is done: " + dir + ".");
                previous = dir;
                continue;
            }
            if (count > 1) log.onMessage("Phase " + k + " of " + count + " into " + dir + ".");
            r = run(size, size.phases().get(k - 1), seed + k - 1, previous, dir, resume, evalEvery, log,
                    last ? command(size, seed, from, out) : null);
            if (r.interrupted()) return r;
            previous = dir;
        }
        for (int k = 1; k < count; k++) {
            Path dir = out.resolve("phase" + k);
            for (String f : List.of("metrics.jsonl", "eval.jsonl", "loss_curve.png")) {
                try {
                    if (Files.exists(dir.resolve(f))) {
                        Files.copy(dir.resolve(f), out.resolve("phase" + k + "_" + f),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new AbsorbException("Cannot copy " + dir.resolve(f) + ": " + e.getMessage() + ".");
                }
            }
            deleteTree(dir);
        }
        return r;
    }

    /** The command line that trains {@code size} (all its phases) as {@link #runPhases} was asked to. */
    static String command(Size size, long seed, Path from, Path out) {
        return "./absorb toy pretrain --world graphs --size " + size.name() + " --seed " + seed
                + size.options().stream().map(o -> " " + o).collect(java.util.stream.Collectors.joining())
                + (from != null ? " --from " + from : "") + " --out " + out;
    }

    /**
     * Trains one {@code phase} of a model of {@code size} with {@code seed} into {@code out}, from random weights or,
     * when {@code from} is given, from that model (a further phase of training); {@code log} receives progress lines.
     * {@code command}, when not null, is recorded in toy_config.json as the command that reproduces the model (the
     * last phase's).
     */
    public static Trainer.Result run(Size size, Phase phase, long seed, Path from, Path out, boolean resume, int evalEvery,
            Trainer.Listener log, String command) {
        ToyWorld world = new ToyWorld(ToyWorld.Settings.defaults(phase.length()).withPairShare(phase.pairShare()));
        Path init = out.resolve(".init");
        if (!resume || !Files.isDirectory(init)) {
            if (from != null) copyModel(from, init);
            else writeInitialModel(size, world, seed, init);
        }
        TrainConfig config = config(init, out, phase.length() + 1, phase.lr(), phase.warmup(), phase.steps(),
                phase.batch(), seed, resume);
        Path evalLog = evalLog(out, resume);
        Trainer.Result r;
        try (Tokenizer tok = Tokenizer.load(init)) {
            long[] wordIds = new long[world.words().size()];
            for (int i = 0; i < wordIds.length; i++) wordIds[i] = WordTokenizer.SPECIAL.size() + i;
            r = new Trainer(config, log).onStream(stream(phase, world, seed, tok))
                    .evaluateEvery(evalEvery, (step, model) -> evaluate(step, model, tok, init, evalLog, log)).run();
        }
        if (!r.interrupted()) {
            deleteTree(out.resolve("checkpoints"));
            deleteTree(init);
            ObjectNode toy = new ObjectMapper().createObjectNode();
            toy.set("earlier_phases", earlierPhases(from));
            toy.put("world", "graphs");
            toy.put("size", size.name());
            toy.put("seed", seed);
            toy.put("steps", phase.steps());
            toy.put("sequence_words", phase.length());
            toy.put("batch", phase.batch());
            toy.put("lr", phase.lr());
            toy.put("warmup", phase.warmup());
            toy.put("schedule", "cosine");
            toy.put("pair_share", phase.pairShare());
            if (command != null) {
                toy.put("phases", size.phases().size());
                toy.put("command", command);
            }
            AtomicFile.writeString(out.resolve("toy_config.json"), toy.toPrettyString());
        }
        return r;
    }

    /** Step s: {@code batch} fresh sequences, each from its own seed, BOS then words, every word a target. */
    static TrainingStream stream(Phase phase, ToyWorld world, long seed, Tokenizer tok) {
        return new TrainingStream() {
            public int totalSteps() {
                return phase.steps();
            }

            public List<Batch> step(int s) {
                List<TrainingData.Example> rows = new ArrayList<>();
                for (int r = 0; r < phase.batch(); r++) {
                    long rowSeed = seed * 0x9E3779B97F4A7C15L + (long) s * phase.batch() + r;
                    long[] ids = tok.encode(String.join(" ", world.sequence(rowSeed)));
                    boolean[] target = new boolean[ids.length];
                    Arrays.fill(target, 1, ids.length, true);
                    rows.add(new TrainingData.Example(ids, target, r));
                }
                return List.of(Batch.padded(rows, 0));
            }

            public double epochOf(int stepsDone) {
                return (double) stepsDone / phase.steps();
            }

            public String fingerprint() {
                return "graphs-world:" + phase + ":seed=" + seed;
            }

            public String describe() {
                return String.format(Locale.ROOT, "graphs world: %d steps of %d sequences of %d words (%,d tokens), fresh"
                        + " graphs and word assignments in every sequence%s.", phase.steps(), phase.batch(), phase.length(),
                        (long) phase.steps() * phase.batch() * phase.length(), phase.pairShare() > 0 ? String.format(
                                Locale.ROOT, ", %.0f%% of them neighbour pairs", 100 * phase.pairShare()) : "");
            }
        };
    }

    /**
     * The pretraining run's settings (shared by both worlds): AdamW at {@code lr} with a cosine schedule after
     * {@code warmup} steps, weight decay 0.01, betas (0.9, 0.95), one pass of {@code steps} batches, a checkpoint every
     * 500 steps (two kept), a log line every 50.
     */
    static TrainConfig config(Path init, Path out, int maxLength, double lr, int warmup, int steps, int batch, long seed,
            boolean resume) {
        TrainConfig defaults = TrainConfig.defaults(init, null, out);
        return defaults.withData(defaults.data().withMaxLength(maxLength))
                .withOptimizer(TrainConfig.Optimizer.DEFAULTS.withLr(lr)
                        .withSchedule(TrainConfig.Schedule.COSINE, warmup).withWeightDecay(0.01)
                        .withBetas(0.9, 0.95))
                .withRun(TrainConfig.Run.DEFAULTS.withEpochs(1).withMaxSteps(steps).withBatch(batch, 1)
                        .withSeed(seed).withCheckpoints(500, 2).withLogEvery(50).withResume(resume));
    }

    /** {@code out}/eval.jsonl, emptied unless the run resumes. */
    static Path evalLog(Path out, boolean resume) {
        Path evalLog = out.resolve("eval.jsonl");
        if (!resume) {
            try {
                Files.deleteIfExists(evalLog);
            } catch (IOException e) {
                throw new AbsorbException("Cannot reset " + evalLog + ": " + e.getMessage() + ".");
            }
        }
        return evalLog;
    }

    /** The phases that made the model in {@code from} (its toy_config.json's, then that config itself); none without it. */
    static ArrayNode earlierPhases(Path from) {
        ArrayNode phases = new ObjectMapper().createArrayNode();
        if (from != null && Files.isRegularFile(from.resolve("toy_config.json"))) {
            JsonNode earlier = JsonFiles.readObject(from.resolve("toy_config.json"), "Toy config");
            earlier.path("earlier_phases").forEach(phases::add);
            ObjectNode last = earlier.deepCopy();
            last.remove("earlier_phases");
            phases.add(last);
        }
        return phases;
    }

    private static void checkModelFolder(Path from) {
        if (!Files.isRegularFile(from.resolve("model.safetensors"))) {
            throw new AbsorbException("--from " + from + " is not a model folder (no model.safetensors).");
        }
    }

    /** The model files of an earlier phase, to continue from. */
    static void copyModel(Path from, Path to) {
        checkModelFolder(from);
        try {
            Files.createDirectories(to);
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
                Files.copy(from.resolve(f), to.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new AbsorbException("Cannot copy the model in " + from + ": " + e.getMessage() + ".");
        }
    }

    /** config.json (Llama), random weights (normal, std 0.02) and the word-level tokenizer. */
    static void writeInitialModel(Size size, ToyWorld world, long seed, Path dir) {
        writeRandomLlama(dir, WordTokenizer.vocabularySize(world.words()), size.hidden(), size.intermediate(),
                size.layers(), size.heads(), 2048, seed);
        WordTokenizer.write(dir, world.words());
    }

    /**
     * A Llama config.json and random weights (normal, std 0.02) in {@code dir}, for both toy worlds: tied embeddings,
     * as many key/value heads as query heads, no biases, float32.
     */
    static void writeRandomLlama(Path dir, int vocab, int hidden, int intermediate, int layers, int heads,
            int maxPositions, long seed) {
        writeRandomLlama(dir, vocab, hidden, intermediate, layers, heads, maxPositions, seed, new long[0], 1);
    }

    /** The same, with the embedding rows of {@code scaledRows} multiplied by {@code scale}. */
    static void writeRandomLlama(Path dir, int vocab, int hidden, int intermediate, int layers, int heads,
            int maxPositions, long seed, long[] scaledRows, double scale) {
        String json = String.format(Locale.ROOT, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": %d, "hidden_size": %d,
                 "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "hidden_act": "silu", "max_position_embeddings": %d, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                 "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
                 "attention_bias": false, "mlp_bias": false, "torch_dtype": "float32"}""", vocab, hidden,
                intermediate, layers, heads, heads, maxPositions);
        ModelConfig config;
        try {
            config = ModelConfig.parse(new ObjectMapper().readTree(json), "toy config");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try (Transformer t = Transformer.random(config, Compute.CPU_FLOAT32, seed)) {
            if (scaledRows.length > 0) {
                float[] m = new float[vocab];
                java.util.Arrays.fill(m, 1f);
                for (long r : scaledRows) m[(int) r] = (float) scale;
                t.prepareForTraining();
                String name = "model.embed_tokens.weight";
                try (ai.djl.ndarray.NDManager scope = t.manager().newSubManager()) {
                    t.parameters().get(name).muli(scope.create(m, t.perTokenShape(name)));
                }
            }
            Checkpoint.save(t, dir, null);
        }
    }

    /** In-context accuracy and spectral score on a fresh 4x4 grid, appended to eval.jsonl. */
    private static Map<String, Double> evaluate(int step, Transformer model, Tokenizer tok, Path init, Path log,
            Trainer.Listener listener) {
        TraceConfig c = TraceConfig.defaults(init, "grid:4x4").withWords(ToyWorld.vocabulary(), true)
                .withContext(200, 100).withSeed(1_000_000L + step);
        LanguageModel lm = new LanguageModel(init, model, tok, GenerationConfig.read(init, model.config()));
        Consumer<String> quiet = s -> { };
        GraphTrace.Result r = GraphTrace.run(c, lm, quiet);
        double[] acc = r.accuracyFull();
        double best = Double.NaN;
        String bestHook = "";
        for (GraphTrace.HookMeasures m : r.hooks().values()) {
            double v = m.spectralR2()[m.spectralR2().length - 1];
            if (Double.isNaN(best) || v > best) {
                best = v;
                bestHook = m.hook();
            }
        }
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("step", step);
        o.put("accuracy_final", acc[acc.length - 1]);
        o.put("accuracy_at_position_" + r.positions()[acc.length / 2], acc[acc.length / 2]);
        o.put("spectral_r2", best);
        o.put("spectral_hook", bestHook);
        try {
            Files.writeString(log, o + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + log + ": " + e.getMessage() + ".");
        }
        listener.onMessage(String.format(Locale.ROOT, "eval at step %d: fresh 4x4 grid accuracy %.3f (position %d), spectral"
                + " R^2 %.2f (%s)", step, acc[acc.length - 1], r.positions()[acc.length - 1], best, bestHook));
        return Map.of("accuracy_final", acc[acc.length - 1], "spectral_r2", best);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new AbsorbException("Cannot remove " + dir + ": " + e.getMessage() + ".");
        }
    }
}
