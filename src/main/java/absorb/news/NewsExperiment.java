package absorb.news;

import absorb.AbsorbException;
import absorb.io.JsonFiles;
import absorb.model.ChatModel;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.model.LoraAdapter;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The New News experiment in one run folder: the model without the news and with it in context (and with the
 * options alone), then for each System-2 protocol the data the model generates, a fine-tuning on it and an evaluation
 * without the news; with shadowing, the same data with the news prefixed, trained and evaluated alike; after each
 * fine-tuning, ICL accuracy again (does training on the news hurt using it in context?) and the control questions
 * the model answered before (retention). Each stage is cached with a fingerprint of its inputs (see {@link Stage}).
 */
public final class NewsExperiment {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the experiment reaches its models. */
    public interface Models extends AutoCloseable {
        /** The base model loaded in this process (it is fine-tuned). */
        LanguageModel base();

        /** The model that writes the System-2 data (the base model unless another is named). */
        ChatModel generator();

        /** Where the base model's folder is (for training configs and records). */
        Path baseDir();

        /**
         * The model the baselines (no news, ICL, options only, control questions) are asked through, such as the same
         * base model behind a server; null: the base model in this process. Fine-tuned models are always asked here.
         */
        default ChatModel baseline() {
            return null;
        }

        @Override
        void close();
    }

    /**
     * @param protocols the System-2 protocols to run
     * @param samplesGrid samples per item each protocol is trained with (the largest is generated; smaller ones train
     *     on the first samples of each item): one value, or several for a compute curve
     * @param generation how data is generated
     * @param scoring how answers are scored
     * @param training the fine-tuning settings (model, data and out are set per stage)
     * @param shadowing also train each protocol with the news prefixed to its examples
     * @param iclAfter evaluate with the news in context again after each fine-tuning
     * @param batch prompts per forward pass
     */
    public record Settings(List<Sys2Generation.Protocol> protocols, List<Integer> samplesGrid,
            Sys2Generation.Settings generation, NewsEvaluation.Settings scoring, TrainConfig training, boolean shadowing,
            boolean iclAfter, int batch) {
        public Settings {
            if (protocols.isEmpty()) throw new AbsorbException("--protocols names no protocol.");
            if (samplesGrid.isEmpty()) throw new AbsorbException("--samples names no sample count.");
            for (int n : samplesGrid) if (n < 1) throw new AbsorbException("--samples must be at least 1, not " + n + ".");
            protocols = List.copyOf(protocols);
            samplesGrid = samplesGrid.stream().sorted().distinct().toList();
        }

        public int maxSamples() {
            return samplesGrid.get(samplesGrid.size() - 1);
        }
    }

    /**
     * One fine-tuning's outcome: its name (protocol, samples, shadowed), its evaluation without the news (and with it,
     * when asked), retention on the control questions (NaN when not measured), and its stage record (compute).
     */
    public record Trained(String name, String protocol, int samples, boolean shadowed, EvalRun.Result eval,
            double retention, JsonNode record) {
        public double noNews() {
            return eval.accuracy("no-news");
        }

        public double iclAfter() {
            return eval.accuracy("icl");
        }
    }

    private final Models models;
    private final List<NewsItem> items, control;
    private final Prompts prompts;
    private final Settings s;
    private final Path out;
    private final Consumer<String> log;
    private final ObjectNode stages = JSON.createObjectNode();

    private NewsExperiment(Models models, List<NewsItem> items, List<NewsItem> control, Prompts prompts, Settings s,
            Path out, Consumer<String> log) {
        this.models = models;
        this.items = items;
        this.control = control;
        this.prompts = prompts;
        this.s = s;
        this.out = out;
        this.log = log;
    }

    /**
     * Runs every stage not already done into {@code out}, then writes metrics.json and report.html. {@code control}
     * holds the retention questions (may be empty: retention is then not measured). {@code identity} describes the
     * data and the models for the stages' fingerprints.
     */
    public static NewsResults run(Models models, List<NewsItem> items, List<NewsItem> control, Prompts prompts,
            Settings s, ObjectNode identity, Path out, Consumer<String> log) {
        return new NewsExperiment(models, items, control, prompts, s, out, log).run(identity);
    }

    private NewsResults run(ObjectNode identity) {
        ChatModel base = models.baseline() != null ? models.baseline() : new LocalChatModel(models.base(), s.batch());
        ObjectNode evalInputs = identity.deepCopy();
        evalInputs.put("scoring", s.scoring().scoring().label());
        evalInputs.put("permutations", s.scoring().permutations());
        log.accept("== baseline: the model without the news, with it in context, and with the options alone");
        EvalRun.Result baseline = evaluate("baseline", base, items, List.of(NewsEvaluation.Condition.NO_NEWS,
                NewsEvaluation.Condition.ICL, NewsEvaluation.Condition.OPTIONS_ONLY), evalInputs);
        EvalRun.Result controlBefore = control.isEmpty() ? null
                : evaluate("control-baseline", base, control, List.of(NewsEvaluation.Condition.NO_NEWS), evalInputs);
        List<Trained> trained = new ArrayList<>();
        Map<String, Sys2Generation.Stats> generation = new LinkedHashMap<>();
        for (Sys2Generation.Protocol p : s.protocols()) {
            log.accept("== " + p.label + ": generating " + s.maxSamples() + " samples per item");
            ObjectNode genInputs = identity.deepCopy();
            genInputs.put("protocol", p.label);
            genInputs.put("generator", models.generator().name());
            genInputs.set("generation", JSON.valueToTree(s.generation().withSamples(s.maxSamples())));
            Stage gen = new Stage(out.resolve("generate").resolve(p.label), genInputs);
            Sys2Generation.Stats stats;
            if (gen.done()) {
                stats = Sys2Generation.readStats(JsonFiles.readObject(gen.dir().resolve("stats.json"), "Generation stats"));
            } else {
                gen.begin();
                ChatModel g = models.generator();
                long before = g.tokensProcessed();
                long t0 = System.nanoTime();
                stats = Sys2Generation.generate(g, items, p, prompts, s.generation().withSamples(s.maxSamples()), gen.dir(),
                        log);
                ObjectNode r = Sys2Generation.statsJson(stats);
                long tokens = stats.promptTokens() + stats.completionTokens();
                r.put("tokens", tokens);
                putFlops(r, g, tokens);
                r.put("seconds", (System.nanoTime() - t0) / 1e9);
                gen.finish(r);
                if (before < 0) log.accept(p.label + ": the generator does not report its tokens");
            }
            generation.put(p.label, stats);
            stages.set("generate/" + p.label, gen.record());
            for (int n : s.samplesGrid()) {
                for (boolean shadowed : s.shadowing() ? new boolean[] {false, true} : new boolean[] {false}) {
                    trained.add(trainAndEvaluate(p, n, shadowed, gen, evalInputs, controlBefore));
                }
            }
        }
        NewsResults results = NewsResults.of(baseline, controlBefore, trained, generation, s, stages, models);
        results.write(out, prompts, items);
        return results;
    }

    /** Fine-tunes on the first {@code n} samples per item of protocol p (shadowed or not), then evaluates. */
    private Trained trainAndEvaluate(Sys2Generation.Protocol p, int n, boolean shadowed, Stage gen, ObjectNode evalInputs,
            EvalRun.Result controlBefore) {
        String name = p.label + (s.samplesGrid().size() > 1 ? "-n" + n : "") + (shadowed ? "-shadowed" : "");
        log.accept("== " + name + ": fine-tuning on " + n + " samples per item" + (shadowed ? ", the news prefixed" : "")
                + ", then evaluating without the news");
        ObjectNode trainInputs = JSON.createObjectNode();
        trainInputs.put("data", gen.fingerprint());
        trainInputs.put("samples", n);
        trainInputs.put("shadowed", shadowed);
        trainInputs.set("training", NewsTraining.describe(s.training()));
        Stage train = new Stage(out.resolve("train").resolve(name), trainInputs);
        LanguageModel lm = models.base();
        boolean lora = s.training().lora().enabled();
        Path data = train.dir().resolve("data.jsonl");
        if (train.done()) {
            if (lora) LoraAdapter.load(train.dir(), lm.transformer(), ai.djl.ndarray.types.DataType.FLOAT32);
        } else {
            boolean again = train.begin();
            int examples = NewsTraining.prepareData(firstSamples(gen.dir().resolve("train.jsonl"), n, train.dir()),
                    items, prompts, shadowed, data);
            TrainConfig c = s.training().withData(s.training().data().withModel(models.baseDir()).withFile(data)
                    .withOut(train.dir())).withRun(s.training().run().withResume(again && Trainer.hasCheckpoints(train.dir())));
            // LoRA trains an adapter on the base model kept in memory; full fine-tuning trains a fresh copy of it
            Trainer trainer = new Trainer(c, new Progress(log, name));
            Trainer.Result r = lora ? trainer.run(lm.transformer()) : trainer.run();
            if (r.interrupted()) throw new Interrupted(name);
            long adapter = lora ? LoraAdapter.attached(lm.transformer()).values().stream().mapToLong(NDArray::size).sum() : 0;
            long params = lm.config().parameterCount();
            ObjectNode rec = JSON.createObjectNode();
            rec.put("examples", examples);
            rec.put("steps", r.steps());
            rec.put("final_loss", r.finalLoss());
            rec.put("tokens", r.tokens());
            rec.put("adapter_parameters", adapter);
            rec.put("flops", lora ? Flops.loraTraining(params, adapter, r.tokens()) : Flops.fullTraining(params, r.tokens()));
            rec.put("seconds", r.history().isEmpty() ? 0 : r.history().get(r.history().size() - 1).elapsedSeconds());
            train.finish(rec);
        }
        stages.set("train/" + name, train.record());
        ChatModel tuned = lora ? new LocalChatModel(lm, s.batch())
                : LocalChatModel.open(train.dir(), null, lm.transformer().compute(), s.batch());
        try {
            ObjectNode inputs = evalInputs.deepCopy();
            inputs.put("adapter", train.fingerprint());
            List<NewsEvaluation.Condition> conds = new ArrayList<>(List.of(NewsEvaluation.Condition.NO_NEWS));
            if (s.iclAfter() && !shadowed) conds.add(NewsEvaluation.Condition.ICL);
            EvalRun.Result r = evaluate("eval/" + name, tuned, items, conds, inputs);
            double retention = Double.NaN;
            if (controlBefore != null) {
                EvalRun.Result after = evaluate("eval/" + name + "/control", tuned, control,
                        List.of(NewsEvaluation.Condition.NO_NEWS), inputs);
                retention = retention(controlBefore, after);
            }
            return new Trained(name, p.label, n, shadowed, r, retention, train.record());
        } finally {
            if (lora) LoraAdapter.detach(lm.transformer());
            else tuned.close();
        }
    }

    /**
     * Retention: over the control questions answered right in every permutation before fine-tuning, the share of
     * (question, permutation) answers still right after it.
     */
    static double retention(EvalRun.Result before, EvalRun.Result after) {
        Map<String, Boolean> known = new LinkedHashMap<>();
        for (NewsEvaluation.Prediction p : before.predictions().get("no-news")) {
            known.merge(p.questionId(), p.correct(), Boolean::logicalAnd);
        }
        int asked = 0, right = 0;
        for (NewsEvaluation.Prediction p : after.predictions().get("no-news")) {
            if (!known.getOrDefault(p.questionId(), false)) continue;
            asked++;
            if (p.correct()) right++;
        }
        return asked == 0 ? Double.NaN : (double) right / asked;
    }

    /** The generated examples of the first {@code n} samples of each item, as a file in {@code dir}. */
    private static Path firstSamples(Path train, int n, Path dir) {
        StringBuilder kept = new StringBuilder();
        for (JsonNode e : absorb.io.JsonLines.read(train)) if (e.path("sample").asInt() < n) kept.append(e).append('\n');
        Path f = dir.resolve("generated.jsonl");
        absorb.io.AtomicFile.writeString(f, kept.toString());
        return f;
    }

    /** An evaluation stage in {@code name}: predictions resumed, results recorded. */
    private EvalRun.Result evaluate(String name, ChatModel model, List<NewsItem> set,
            List<NewsEvaluation.Condition> conditions, ObjectNode inputs) {
        ObjectNode in = inputs.deepCopy();
        in.put("conditions", String.join(",", conditions.stream().map(c -> c.label).toList()));
        in.put("questions", set.stream().mapToInt(i -> i.questions().size()).sum());
        Stage st = new Stage(out.resolve(name), in);
        if (!st.done()) st.begin();
        long before = model.tokensProcessed();
        long t0 = System.nanoTime();
        EvalRun.Result r = EvalRun.evaluate(model, set, prompts, conditions, s.scoring(),
                st.dir().resolve("predictions.jsonl"), log);
        if (!st.done()) {
            ObjectNode rec = JSON.createObjectNode();
            r.conditions().forEach((c, res) -> rec.set(c, EvalRun.conditionJson(res)));
            long tokens = model.tokensProcessed() - before;
            rec.put("tokens", tokens);
            putFlops(rec, model, tokens);
            rec.put("seconds", (System.nanoTime() - t0) / 1e9);
            st.finish(rec);
        }
        stages.set(name, st.record());
        r.conditions().forEach((c, res) -> log.accept(String.format(Locale.ROOT, "%s, %s: accuracy %s", name, c,
                EvalRun.format(res.metrics().get("acc").overall()))));
        return r;
    }

    /** A fine-tuning stopped by Ctrl-C: the run ends, to be resumed. */
    public static final class Interrupted extends RuntimeException {
        public Interrupted(String stage) {
            super("Interrupted during " + stage + "; its checkpoint is saved: run the same command with --resume to"
                    + " continue.");
        }
    }

    /** Training progress as log lines every few steps. */
    private record Progress(Consumer<String> log, String stage) implements Trainer.Listener {
        @Override
        public void onStep(Trainer.StepMetrics m) {
            if (m.step() % 10 == 0 || m.step() == m.totalSteps() || m.step() == 1) {
                log.accept(String.format(Locale.ROOT, "%s: step %d/%d  loss %.4f  lr %.2e  %,.0f tok/s  ETA %s", stage,
                        m.step(), m.totalSteps(), m.loss(), m.lr(), m.tokensPerSecond(), NewsEvaluation.eta(m.etaSeconds())));
            }
        }

        @Override
        public void onMessage(String message) {
            log.accept(stage + ": " + message);
        }
    }

    /** A forward pass's FLOPs for {@code tokens}, or null where the model's size is not known (a served model). */
    private static void putFlops(ObjectNode record, ChatModel model, long tokens) {
        if (model.parameters() > 0) record.put("flops", Flops.forward(model.parameters(), tokens));
        else record.putNull("flops"); // JSON has no NaN: the stage record must read back on resume
    }
}
