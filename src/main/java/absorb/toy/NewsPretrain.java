package absorb.toy;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.model.GenerationConfig;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.model.Tokenizer;
import absorb.model.Transformer;
import absorb.news.NewsEvaluation;
import absorb.news.NewsItem;
import absorb.news.Prompts;
import absorb.train.Batch;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import absorb.train.TrainingData;
import absorb.train.TrainingStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a model of the news world from scratch (docs/toy-worlds.md): a small Llama-architecture model with a
 * word-level tokenizer and a chat template, on rows of packed corpus documents, tracking accuracy on held-out news
 * (names of the in-context pool in new pairings, never the demo's) and on the control facts as it goes.
 */
public final class NewsPretrain {

    /** A model and its training: {@code steps} steps of {@code batch} rows of at most {@code rowTokens} tokens. */
    public record Size(String name, int layers, int hidden, int heads, int intermediate, int steps, int rowTokens,
            int batch, double lr, int warmup, int copySteps, Map<NewsWorld.DocKind, Double> shares,
            List<String> options) {
        public static final Map<String, Size> PRESETS = Map.of(
                "tiny", new Size("tiny", 2, 64, 4, 256, 5000, 192, 8, 3e-3, 100, 2000, null, List.of()),
                "small", new Size("small", 3, 96, 4, 384, 5000, 192, 8, 2e-3, 100, 2000, null, List.of()),
                "base", new Size("base", 4, 128, 4, 512, 5000, 192, 8, 1.5e-3, 100, 2000, null, List.of()));

        public static Size of(String name) {
            Size s = PRESETS.get(name);
            if (s == null) throw new AbsorbException("--size " + name + " is not known for the news world; use tiny, small or base.");
            return s;
        }

        public Size withSteps(int n) {
            return new Size(name, layers, hidden, heads, intermediate, n, rowTokens, batch, lr, warmup, copySteps, shares, with("--steps " + n));
        }

        public Size withLr(double rate) {
            return new Size(name, layers, hidden, heads, intermediate, steps, rowTokens, batch, rate, warmup, copySteps, shares,
                    with("--lr " + rate));
        }

        public Size withBatch(int rows) {
            return new Size(name, layers, hidden, heads, intermediate, steps, rowTokens, rows, lr, warmup, copySteps, shares,
                    with("--batch " + rows));
        }

        public Size withWarmup(int n) {
            return new Size(name, layers, hidden, heads, intermediate, steps, rowTokens, batch, lr, n, copySteps, shares, with("--warmup " + n));
        }

        public Size withCopySteps(int n) {
            return new Size(name, layers, hidden, heads, intermediate, steps, rowTokens, batch, lr, warmup, n, shares,
                    with("--copy-steps " + n));
        }

        /** Other shares of document kinds ("lookup=0.5,mcq=0.25"): a phase that practises some skills. */
        public Size withShares(String spec) {
            Map<NewsWorld.DocKind, Double> m = new java.util.EnumMap<>(NewsWorld.DocKind.class);
            for (String part : spec.split(",")) {
                String[] kv = part.strip().split("=");
                NewsWorld.DocKind k;
                double v;
                try {
                    k = NewsWorld.DocKind.valueOf(kv[0].strip().toUpperCase(Locale.ROOT));
                    v = Double.parseDouble(kv[1].strip());
                } catch (RuntimeException e) {
                    throw new AbsorbException("--shares " + spec + " is not a list of KIND=SHARE (kinds: "
                            + java.util.Arrays.stream(NewsWorld.DocKind.values()).map(x -> x.name().toLowerCase(Locale.ROOT))
                                    .collect(java.util.stream.Collectors.joining(", ")) + ").");
                }
                if (!(v >= 0)) throw new AbsorbException("--shares " + spec + ": a share must be 0 or more.");
                m.put(k, v);
            }
            if (m.values().stream().mapToDouble(Double::doubleValue).sum() <= 0) {
                throw new AbsorbException("--shares " + spec + " gives every kind a share of 0.");
            }
            return new Size(name, layers, hidden, heads, intermediate, steps, rowTokens, batch, lr, warmup, copySteps, m,
                    with("--shares " + spec));
        }

        private List<String> with(String option) {
            List<String> o = new ArrayList<>(options);
            o.add(option);
            return List.copyOf(o);
        }
    }

    private NewsPretrain() {}

    /** The command line that trains {@code size} with {@code seed} into {@code out}. */
    static String command(Size size, long seed, Path from, Path out) {
        return "./absorb toy pretrain --world news --size " + size.name() + " --seed " + seed
                + size.options().stream().map(o -> " " + o).collect(java.util.stream.Collectors.joining())
                + (from != null ? " --from " + from : "") + " --out " + out;
    }

    /** Trains a model of {@code size} into {@code out} with {@code seed}; {@code log} receives progress lines. */
    public static Trainer.Result run(Size size, long seed, Path from, Prompts prompts, Path out, boolean resume,
            int evalEvery, Trainer.Listener log) {
        NewsWorld world = size.shares() == null ? NewsWorld.defaults() : NewsWorld.defaults().withShares(size.shares());
        Path init = out.resolve(".init");
        if (!resume || !Files.isDirectory(init)) {
            if (from != null) ToyPretrain.copyModel(from, init);
            else writeInitialModel(size, world, prompts, seed, init);
        }
        TrainConfig config = ToyPretrain.config(init, out, size.rowTokens(), size.lr(), size.warmup(), size.steps(),
                size.batch(), seed, resume);
        Path evalLog = ToyPretrain.evalLog(out, resume);
        Trainer.Result r;
        List<NewsItem> held = heldOut(world), control = world.control(), lookups = lookups(world);
        try (Tokenizer tok = Tokenizer.load(init)) {
            r = new Trainer(config, log).onStream(stream(size, world, prompts, seed, tok)).freezeTokens(nameIds(world, tok))
                    .evaluateEvery(evalEvery, (step, model) -> evaluate(step, model, tok, init, prompts, held, control,
                            lookups, evalLog, log)).run();
        }
        if (!r.interrupted()) {
            ToyPretrain.deleteTree(out.resolve("checkpoints"));
            ToyPretrain.deleteTree(init);
            ObjectNode toy = new ObjectMapper().createObjectNode();
            com.fasterxml.jackson.databind.node.ArrayNode phases = ToyPretrain.earlierPhases(from);
            if (!phases.isEmpty()) toy.set("earlier_phases", phases);
            toy.put("world", "news");
            toy.put("size", size.name());
            toy.put("seed", seed);
            toy.put("steps", size.steps());
            toy.put("row_tokens", size.rowTokens());
            toy.put("batch", size.batch());
            toy.put("lr", size.lr());
            toy.put("warmup", size.warmup());
            toy.put("copy_steps", size.copySteps());
            toy.put("schedule", "cosine");
            ObjectNode shares = toy.putObject("corpus_shares");
            world.shares().forEach((k, v) -> shares.put(k.name().toLowerCase(Locale.ROOT), v));
            toy.put("command", command(size, seed, from, out));
            AtomicFile.writeString(out.resolve("toy_config.json"), toy.toPrettyString());
        }
        return r;
    }

    /**
     * The token ids of every name that news binds (the in-context pool's and the demo's). They keep their random
     * initial embeddings through pretraining, so that to the model a name is an arbitrary symbol, and what it learns
     * about using the pool's names carries over to the demo's, which it never sees. Trained, a word-level model cannot
     * write a word it never saw: with tied embeddings the output row of a name absent from the corpus only learns to be
     * avoided, and a model trained so asked its Self-QA questions about the known entity instead of the new name
     * (docs/toy-worlds.md).
     */
    static long[] nameIds(NewsWorld world, Tokenizer tok) {
        List<String> names = new ArrayList<>(world.poolNames());
        names.addAll(world.demoNames());
        long[] ids = new long[names.size()];
        for (int i = 0; i < ids.length; i++) {
            long[] one = tok.encodePlain(names.get(i));
            if (one.length != 1) throw new IllegalStateException("the name " + names.get(i) + " is not one token");
            ids[i] = one[0];
        }
        return ids;
    }

    /**
     * Step s: {@code batch} rows, each documents of the corpus (each from its own seed) packed until the next would
     * pass {@code rowTokens}; text is trained on every token, a conversation on the assistant's turn.
     */
    static TrainingStream stream(Size size, NewsWorld world, Prompts prompts, long seed, Tokenizer tok) {
        String system = prompts.raw(Prompts.Template.SYSTEM).strip();
        return new TrainingStream() {
            public int totalSteps() {
                return size.steps();
            }

            public List<Batch> step(int s) {
                List<TrainingData.Example> rows = new ArrayList<>();
                for (int r = 0; r < size.batch(); r++) {
                    long rowSeed = seed * 0x9E3779B97F4A7C15L + ((long) s * size.batch() + r) * 64;
                    rows.add(s < size.copySteps() ? copyRow(world, tok, rowSeed, size.rowTokens(), r)
                            : row(world, prompts, system, tok, rowSeed, size.rowTokens(), r));
                }
                return List.of(Batch.padded(rows, 0));
            }

            public double epochOf(int stepsDone) {
                return (double) stepsDone / size.steps();
            }

            public String fingerprint() {
                return "news-world:" + size + ":seed=" + seed;
            }

            public String describe() {
                return String.format(Locale.ROOT, "news world: %d steps of %d rows of up to %d tokens (%,d), packed corpus"
                        + " documents, each drawn fresh.", size.steps(), size.batch(), size.rowTokens(),
                        (long) size.steps() * size.batch() * size.rowTokens());
            }
        };
    }

    /**
     * A row of the first steps: copy documents only, trained on their repeats. A model trained on the corpus from the
     * start stayed at chance (it copied no name from its context after 5,000 steps); copying learned first, on dense
     * targets, is what the uses of news in context build on (the induction heads of Olsson et al. 2022).
     */
    static TrainingData.Example copyRow(NewsWorld world, Tokenizer tok, long rowSeed, int rowTokens, int line) {
        return packed(d -> world.copyDoc(new java.util.SplittableRandom(rowSeed + d)), null, tok, rowTokens, line);
    }

    /** One row: documents from seeds rowSeed, rowSeed + 1, ... packed while they fit. */
    static TrainingData.Example row(NewsWorld world, Prompts prompts, String system, Tokenizer tok, long rowSeed,
            int rowTokens, int line) {
        return packed(d -> world.document(rowSeed + d, prompts), system, tok, rowTokens, line);
    }

    /** Documents 0, 1, ... of {@code docs} packed while they fit in {@code rowTokens}. */
    private static TrainingData.Example packed(java.util.function.IntFunction<NewsWorld.Doc> docs, String system,
            Tokenizer tok, int rowTokens, int line) {
        List<long[]> ids = new ArrayList<>();
        List<boolean[]> targets = new ArrayList<>();
        int length = 0;
        for (int d = 0; d < 64; d++) {
            NewsWorld.Doc doc = docs.apply(d);
            long[] x;
            boolean[] t;
            if (doc.chat()) {
                long[] prefix = tok.encodePlain(NewsWorld.render(system, doc.user(), null));
                x = tok.encodePlain(NewsWorld.render(system, doc.user(), doc.assistant()));
                t = new boolean[x.length];
                for (int i = prefix.length; i < x.length; i++) t[i] = true;
            } else {
                x = tok.encode(doc.text());
                t = new boolean[x.length];
                if (doc.trainedWords() == null) {
                    for (int i = 1; i < x.length; i++) t[i] = true;
                } else {
                    // word w of the text is token w + 1 (after <bos>) of the word-level tokenizer
                    for (int w : doc.trainedWords()) t[w + 1] = true;
                }
            }
            if (length + x.length > rowTokens) {
                if (d == 0) throw new IllegalStateException("a document longer than a row: " + x.length + " tokens");
                break;
            }
            ids.add(x);
            targets.add(t);
            length += x.length;
        }
        long[] all = new long[length];
        boolean[] target = new boolean[length];
        int at = 0;
        for (int k = 0; k < ids.size(); k++) {
            System.arraycopy(ids.get(k), 0, all, at, ids.get(k).length);
            System.arraycopy(targets.get(k), 0, target, at, ids.get(k).length);
            at += ids.get(k).length;
        }
        return new TrainingData.Example(all, target, line);
    }

    /** config.json (Llama), random weights, the word-level tokenizer with the world's chat template. */
    static void writeInitialModel(Size size, NewsWorld world, Prompts prompts, long seed, Path dir) {
        List<String> words = world.vocabulary(prompts);
        WordTokenizer.write(dir, words, NewsWorld.CHAT_TEMPLATE);
        long[] names;
        try (Tokenizer tok = Tokenizer.load(dir)) {
            names = nameIds(world, tok);
        }
        // the names' rows are held at their initial values (nameIds): at NAME_SCALE times the others' standard
        // deviation, their output logits can be told apart without the final norm growing first
        ToyPretrain.writeRandomLlama(dir, WordTokenizer.vocabularySize(words), size.hidden(), size.intermediate(),
                size.layers(), size.heads(), 512, seed, names, NAME_SCALE);
    }

    /** How much larger the names' initial embeddings are than the other tokens'. */
    static final double NAME_SCALE = 5;

    /**
     * Held-out news for the evaluation during training: 20 items like the demo's, but with names of the in-context
     * pool bound to other entities (never the demo's names).
     */
    static List<NewsItem> heldOut(NewsWorld world) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(303);
        List<NewsItem> items = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            NewsWorld.Kind kind = NewsWorld.Kind.values()[i % NewsWorld.Kind.values().length];
            String name = world.poolNames().get(r.nextInt(world.poolNames().size()));
            NewsWorld.Entity x = world.entities().get(r.nextInt(world.entities().size()));
            List<NewsItem.Question> qs = new ArrayList<>();
            for (NewsWorld.Attribute a : NewsWorld.Attribute.values()) {
                qs.add(world.mcq("held-" + i + "-" + a.name().toLowerCase(Locale.ROOT).replace('_', '-'), a, name, x, r, ""));
            }
            items.add(new NewsItem("held-" + i, kind.domain, name, kind.news(name, x.name()), qs));
        }
        return items;
    }

    /**
     * 40 questions that name their answer ("which option says red ?"), asked as the evaluation asks: the letter lookup
     * every multiple-choice answer ends with, measured apart so that a run shows whether that step is learned.
     */
    static List<NewsItem> lookups(NewsWorld world) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(404);
        List<NewsItem> items = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            NewsWorld.Entity x = world.entities().get(r.nextInt(world.entities().size()));
            List<NewsItem.Question> qs = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                NewsWorld.Attribute a = NewsWorld.Attribute.values()[k];
                NewsItem.Question q = world.mcq("lookup-" + i + "-" + k, a, x.name(), x, r, "");
                qs.add(new NewsItem.Question(q.id(), NewsWorld.lookupQuestion(q.correctOption()), q.options(),
                        q.answer(), ""));
            }
            items.add(new NewsItem("lookup-" + i, "lookup", x.name(), NewsWorld.Kind.NAMES.news(x.name(), x.name()), qs));
        }
        return items;
    }

    /**
     * ICL and no-news accuracy on held-out news, no-news accuracy on the control facts and on the letter lookups;
     * appended to eval.jsonl.
     */
    private static Map<String, Double> evaluate(int step, Transformer model, Tokenizer tok, Path init, Prompts prompts,
            List<NewsItem> held, List<NewsItem> control, List<NewsItem> lookups, Path log, Trainer.Listener listener) {
        LanguageModel lm = new LanguageModel(init, model, tok, GenerationConfig.read(init, model.config()));
        LocalChatModel chat = new LocalChatModel(lm, 32);
        // the demo reads answers by continuation (the option's words after "Answer:"); the letters are reported beside
        NewsEvaluation.Settings s = new NewsEvaluation.Settings(NewsEvaluation.Scoring.CONTINUATION, 1, 100, 0, 8);
        NewsEvaluation.Settings letters = new NewsEvaluation.Settings(NewsEvaluation.Scoring.LETTER, 2, 100, 0, 8);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("held_icl", accuracy(chat, held, NewsEvaluation.Condition.ICL, prompts, s, false));
        out.put("held_icl_unrehearsed", accuracy(chat, held, NewsEvaluation.Condition.ICL, prompts, s, true));
        out.put("held_no_news", accuracy(chat, held, NewsEvaluation.Condition.NO_NEWS, prompts, s, false));
        out.put("control", accuracy(chat, control, NewsEvaluation.Condition.NO_NEWS, prompts, s, false));
        out.put("held_icl_letter", accuracy(chat, held, NewsEvaluation.Condition.ICL, prompts, letters, false));
        out.put("lookup_letter", accuracy(chat, lookups, NewsEvaluation.Condition.NO_NEWS, prompts, letters, false));
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("step", step);
        out.forEach(o::put);
        try {
            Files.writeString(log, o + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + log + ": " + e.getMessage() + ".");
        }
        listener.onMessage(String.format(Locale.ROOT, "eval at step %d: held-out news ICL %.3f (unrehearsed uses %.3f),"
                + " no news %.3f; control facts %.3f; by letter: ICL %.3f, lookup %.3f", step, out.get("held_icl"),
                out.get("held_icl_unrehearsed"), out.get("held_no_news"), out.get("control"), out.get("held_icl_letter"),
                out.get("lookup_letter")));
        return out;
    }

    /** Accuracy over a set in one condition (only the unrehearsed uses, or all questions). */
    private static double accuracy(LocalChatModel chat, List<NewsItem> items, NewsEvaluation.Condition c, Prompts prompts,
            NewsEvaluation.Settings s, boolean unrehearsedOnly) {
        int[] counts = new int[2];
        NewsEvaluation.ask(chat, items, c, prompts, s, new HashSet<>(), p -> {
            if (unrehearsedOnly && NewsWorld.attributeOf(p.questionId()).rehearsed) return;
            counts[1]++;
            if (p.correct()) counts[0]++;
        }, line -> { });
        return counts[1] == 0 ? Double.NaN : (double) counts[0] / counts[1];
    }
}
