package absorb.news;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.JsonLines;
import absorb.model.ChatModel;
import absorb.model.ChatModel.Completion;
import absorb.model.ChatModel.Message;
import absorb.model.ChatModel.Prompt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * System-2 Fine-Tuning data: the model, with the news in its context, writes the material it is then fine-tuned on
 * without the news. Every generation is kept in {@code samples.jsonl} as it is made (with its verdict), so an
 * interrupted stage resumes where it stopped; the examples that pass the filter are then written as
 * {@code train.jsonl} in the formats {@code finetune} reads, each with its news id and protocol.
 */
public final class Sys2Generation {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How the training data is made from a news item. */
    public enum Protocol {
        /** The news text itself, as plain text (no generation). */
        NAIVE("naive"),
        /** Rewordings of the news. */
        PARAPHRASE("paraphrase"),
        /** Consequences of the news, spelled out. */
        IMPLICATION("implication"),
        /** A question about the news and its answer, both written with the news in context; trained without it. */
        SELF_QA("self-qa");

        public final String label;

        Protocol(String label) {
            this.label = label;
        }

        public static Protocol parse(String s) {
            for (Protocol p : values()) if (p.label.equals(s.strip())) return p;
            throw new AbsorbException("--protocol " + s + " is not a protocol; use naive, paraphrase, implication or"
                    + " self-qa.");
        }
    }

    /**
     * @param samples generations per news item (naive: copies of the news, so that every protocol gives the same
     *     number of examples per item)
     * @param temperature sampling temperature
     * @param topP nucleus sampling
     * @param seed seed of sample j of item i is seed + 1,000,003 i + j (questions) or that + 500,000 (answers)
     * @param maxTokens token budget of a paraphrase, implication or answer
     * @param maxQuestionTokens token budget of a Self-QA question
     * @param nearDuplicate word-trigram Jaccard similarity at or above which a sample duplicates a kept one
     */
    public record Settings(int samples, double temperature, double topP, long seed, int maxTokens, int maxQuestionTokens,
            double nearDuplicate) {
        public Settings {
            if (samples < 1) throw new AbsorbException("--samples must be at least 1, not " + samples + ".");
            if (!(nearDuplicate > 0 && nearDuplicate <= 1)) {
                throw new AbsorbException("The near-duplicate threshold must be in (0, 1], not " + nearDuplicate + ".");
            }
        }

        /** quick (8 per item), default (64) or paper (1,024, as the study used). */
        public static Settings preset(String name) {
            int n = switch (name) {
                case "quick" -> 8;
                case "default" -> 64;
                case "paper" -> 1024;
                default -> throw new AbsorbException("--preset " + name + " is not a preset; use quick, default or paper.");
            };
            return new Settings(n, 1.0, 0.95, 0, 256, 64, 0.8);
        }

        public Settings withSamples(int n) {
            return new Settings(n, temperature, topP, seed, maxTokens, maxQuestionTokens, nearDuplicate);
        }

        public Settings withSampling(double t, double p, long s) {
            return new Settings(samples, t, p, s, maxTokens, maxQuestionTokens, nearDuplicate);
        }

        public Settings withBudgets(int tokens, int questionTokens) {
            return new Settings(samples, temperature, topP, seed, tokens, questionTokens, nearDuplicate);
        }
    }

    /** What a generation stage produced: kept examples, the verdicts' counts, tokens read and written. */
    public record Stats(String protocol, int kept, Map<String, Integer> verdicts, long promptTokens,
            long completionTokens, Map<String, List<String>> examples) {
        public int generated() {
            return verdicts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private Sys2Generation() {}

    /**
     * Generates {@code protocol}'s data for {@code items} into {@code dir} (samples.jsonl, train.jsonl, stats.json),
     * resuming from what samples.jsonl already holds.
     */
    public static Stats generate(ChatModel model, List<NewsItem> items, Protocol protocol, Prompts prompts, Settings s,
            Path dir, Consumer<String> progress) {
        Path samplesFile = dir.resolve("samples.jsonl");
        // what an earlier, interrupted attempt made: which samples exist, and the kept ones' texts (for duplicates)
        Set<String> done = new HashSet<>();
        Map<String, Kept> kept = new HashMap<>();
        JsonLines.forEach(samplesFile, n -> {
            String item = n.path("news_id").asText();
            if (!done.add(item + "|" + n.path("sample").asInt())) return;
            if (n.path("verdict").asText().equals("kept")) kept.computeIfAbsent(item, k -> new Kept()).add(comparable(n));
        });
        if (!done.isEmpty()) progress.accept(protocol.label + ": resuming with " + done.size() + " samples already made.");
        long t0 = System.nanoTime();
        int made = 0, todo = 0;
        for (NewsItem item : items) {
            for (int j = 0; j < s.samples(); j++) if (!done.contains(item.id() + "|" + j)) todo++;
        }
        try (JsonLines out = JsonLines.append(samplesFile)) {
            for (int i = 0; i < items.size(); i++) {
                NewsItem item = items.get(i);
                Kept itemKept = kept.computeIfAbsent(item.id(), k -> new Kept());
                List<Integer> missing = new ArrayList<>();
                for (int j = 0; j < s.samples(); j++) if (!done.contains(item.id() + "|" + j)) missing.add(j);
                for (List<Integer> js : runs(missing, 32)) {
                    for (ObjectNode n : sample(model, item, i, js, protocol, prompts, s)) {
                        judgeDuplicate(n, itemKept, s.nearDuplicate(), protocol);
                        if (n.path("verdict").asText().equals("kept")) itemKept.add(comparable(n));
                        out.write(n);
                    }
                    out.flush();
                    made += js.size();
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    progress.accept(String.format(Locale.ROOT, "%s: item %d/%d (%s), %d/%d samples, %.2f samples/s, ETA %s",
                            protocol.label, i + 1, items.size(), item.id(), made, todo, made / Math.max(elapsed, 1e-9),
                            NewsEvaluation.eta(elapsed / made * (todo - made))));
                }
                kept.remove(item.id()); // the next items compare only with their own samples
            }
        }
        return finish(items, protocol, prompts, dir, model.capabilities().chatTemplate());
    }

    /** The kept samples of one item, as the duplicate check compares them: normalised text and word trigrams. */
    static final class Kept {
        final List<String> texts = new ArrayList<>();
        final List<Set<String>> trigrams = new ArrayList<>();

        void add(String comparable) {
            texts.add(comparable);
            trigrams.add(Sys2Generation.trigrams(comparable));
        }
    }

    /** Generations for samples {@code js} of item {@code index}, judged (empty, truncated, malformed) but not deduplicated. */
    private static List<ObjectNode> sample(ChatModel model, NewsItem item, int index, List<Integer> js, Protocol protocol,
            Prompts prompts, Settings s) {
        List<ObjectNode> out = new ArrayList<>();
        if (protocol == Protocol.NAIVE) {
            for (int j : js) out.add(record(item, protocol, j, null, item.news(), "stop", 0, 0, "kept"));
            return out;
        }
        long base = s.seed() + 1_000_003L * index + js.get(0);
        if (protocol == Protocol.PARAPHRASE || protocol == Protocol.IMPLICATION) {
            Prompts.Template t = protocol == Protocol.PARAPHRASE ? Prompts.Template.PARAPHRASE : Prompts.Template.IMPLICATION;
            Prompt p = prompt(model, prompts, prompts.fill(t, Map.of("news", item.news())));
            List<Completion> c = model.generate(repeat(p, js), sampling(s.maxTokens(), s, base, js));
            for (int k = 0; k < js.size(); k++) {
                Completion r = c.get(k);
                out.add(record(item, protocol, js.get(k), null, r.text().strip(), r.finishReason(), r.promptTokens(),
                        r.completionTokens(), verdict(protocol, item, null, r)));
            }
            return out;
        }
        Prompt ask = prompt(model, prompts, prompts.fill(Prompts.Template.SELF_QA_QUESTION, Map.of("news", item.news())));
        List<Completion> questions = model.generate(repeat(ask, js), sampling(s.maxQuestionTokens(), s, base, js));
        List<Prompt> answerPrompts = new ArrayList<>();
        List<Integer> answered = new ArrayList<>();
        for (int k = 0; k < js.size(); k++) {
            Completion q = questions.get(k);
            if (verdict(protocol, item, null, q).equals("kept")) {
                answerPrompts.add(prompt(model, prompts, prompts.fill(Prompts.Template.SELF_QA_ANSWER,
                        Map.of("news", item.news(), "question", q.text().strip()))));
                answered.add(k);
            }
        }
        // answers in runs of consecutive samples, so that sample j's answer has its seed however the rest fared
        Map<Integer, Completion> answerOf = new TreeMap<>();
        int next = 0;
        for (List<Integer> run : runs(answered, Integer.MAX_VALUE)) {
            List<Integer> samples = run.stream().map(js::get).toList();
            List<Completion> answers = model.generate(answerPrompts.subList(next, next + run.size()),
                    sampling(s.maxTokens(), s, base + 500_000L + run.get(0), samples));
            for (int r = 0; r < run.size(); r++) answerOf.put(run.get(r), answers.get(r));
            next += run.size();
        }
        for (int k = 0; k < js.size(); k++) {
            Completion q = questions.get(k), a = answerOf.get(k);
            if (a == null) {
                String v = verdict(protocol, item, null, q);
                out.add(record(item, protocol, js.get(k), q.text().strip(), "", q.finishReason(), q.promptTokens(),
                        q.completionTokens(), v + "_question"));
                continue;
            }
            out.add(record(item, protocol, js.get(k), q.text().strip(), a.text().strip(), a.finishReason(),
                    q.promptTokens() + a.promptTokens(), q.completionTokens() + a.completionTokens(),
                    verdict(protocol, item, q, a)));
        }
        return out;
    }

    /**
     * A generation prompt: the user turn under the system prompt, through the chat template; for a model without one
     * (a base model), the user text alone and a line break, for it to continue.
     */
    static Prompt prompt(ChatModel model, Prompts prompts, String user) {
        return model.capabilities().chatTemplate() ? prompts.chat(user) : Prompt.plain(user + "\n");
    }

    /** {@code sorted} split into runs of consecutive numbers, each cut into pieces of at most {@code max}. */
    static List<List<Integer>> runs(List<Integer> sorted, int max) {
        List<List<Integer>> out = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        for (int x : sorted) {
            if (!cur.isEmpty() && (x != cur.get(cur.size() - 1) + 1 || cur.size() == max)) {
                out.add(cur);
                cur = new ArrayList<>();
            }
            cur.add(x);
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    /** The prompt once per sample. */
    private static List<Prompt> repeat(Prompt p, List<Integer> js) {
        List<Prompt> out = new ArrayList<>();
        for (int k = 0; k < js.size(); k++) out.add(p);
        return out;
    }

    /**
     * Sampling whose seed for the k-th prompt of the list is {@code base + k}: sample j of an item always gets the
     * same seed, however the samples are split into calls (the samples of one call are consecutive).
     */
    private static ChatModel.Sampling sampling(int tokens, Settings s, long base, List<Integer> js) {
        if (js.get(js.size() - 1) - js.get(0) != js.size() - 1) throw new IllegalStateException("samples not consecutive");
        return new ChatModel.Sampling(tokens, s.temperature(), s.topP(), 0, base, List.of());
    }

    /**
     * empty (no words), truncated (stopped by the budget), malformed (a Self-QA question without a question mark or
     * of fewer than three words; a paraphrase of less than a third of the news' words; an implication of fewer than
     * five words), or kept.
     */
    static String verdict(Protocol protocol, NewsItem item, Completion question, Completion c) {
        String text = c.text().strip();
        int words = words(text).size();
        if (words == 0) return "empty";
        if (c.finishReason().equals("length")) return "truncated";
        boolean asking = protocol == Protocol.SELF_QA && question == null;
        if (asking && (!text.contains("?") || words < 3)) return "malformed";
        if (protocol == Protocol.PARAPHRASE && words < words(item.news()).size() / 3) return "malformed";
        if (protocol == Protocol.IMPLICATION && words < 5) return "malformed";
        return "kept";
    }

    /** A sample that passed the filter is a duplicate when its text equals a kept one's, near one when similar. */
    static void judgeDuplicate(ObjectNode n, Kept earlier, double near, Protocol protocol) {
        if (!n.path("verdict").asText().equals("kept") || protocol == Protocol.NAIVE) return;
        String text = comparable(n);
        Set<String> grams = trigrams(text);
        for (int k = 0; k < earlier.texts.size(); k++) {
            if (earlier.texts.get(k).equals(text)) {
                n.put("verdict", "duplicate");
                return;
            }
            if (jaccard(grams, earlier.trigrams.get(k)) >= near) {
                n.put("verdict", "near_duplicate");
                return;
            }
        }
    }

    private static String comparable(JsonNode n) {
        String q = n.hasNonNull("question") ? n.get("question").asText() + " " : "";
        return String.join(" ", words(q + n.path("text").asText()));
    }

    /** Lower-cased words (letters and digits). */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    static Set<String> trigrams(String normalised) {
        String[] w = normalised.split(" ");
        Set<String> out = new HashSet<>();
        if (w.length < 3) out.add(normalised);
        for (int i = 0; i + 2 < w.length; i++) out.add(w[i] + " " + w[i + 1] + " " + w[i + 2]);
        return out;
    }

    /** |a ∩ b| / |a ∪ b|. */
    static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) return 1;
        int common = 0;
        for (String x : a) if (b.contains(x)) common++;
        return (double) common / (a.size() + b.size() - common);
    }

    private static ObjectNode record(NewsItem item, Protocol protocol, int sample, String question, String text,
            String finish, int promptTokens, int completionTokens, String verdict) {
        ObjectNode o = JSON.createObjectNode();
        o.put("news_id", item.id());
        o.put("protocol", protocol.label);
        o.put("sample", sample);
        if (question != null) o.put("question", question);
        o.put("text", text);
        o.put("finish_reason", finish);
        o.put("prompt_tokens", promptTokens);
        o.put("completion_tokens", completionTokens);
        o.put("verdict", verdict);
        return o;
    }

    /**
     * train.jsonl and stats.json from every sample, streamed in the order they were made (item by item, sample by
     * sample, as an uninterrupted run writes them); refuses a protocol that kept nothing.
     */
    private static Stats finish(List<NewsItem> items, Protocol protocol, Prompts prompts, Path dir, boolean chat) {
        Set<String> wanted = new HashSet<>();
        items.forEach(i -> wanted.add(i.id()));
        Map<String, Integer> verdicts = new TreeMap<>();
        Map<String, List<String>> examples = new TreeMap<>();
        long[] tokens = new long[2];
        int[] kept = new int[1];
        Path train = dir.resolve("train.jsonl");
        Path partial = dir.resolve(".train.jsonl.tmp");
        try (java.io.BufferedWriter w = java.nio.file.Files.newBufferedWriter(partial, java.nio.charset.StandardCharsets.UTF_8)) {
            JsonLines.forEach(dir.resolve("samples.jsonl"), n -> {
                if (!wanted.contains(n.path("news_id").asText())) return;
                String v = n.path("verdict").asText();
                verdicts.merge(v, 1, Integer::sum);
                tokens[0] += n.path("prompt_tokens").asLong();
                tokens[1] += n.path("completion_tokens").asLong();
                List<String> ex = examples.computeIfAbsent(v, k -> new ArrayList<>());
                if (ex.size() < 3) ex.add((n.hasNonNull("question") ? "Q: " + n.get("question").asText() + " A: " : "")
                        + n.path("text").asText());
                if (!v.equals("kept")) return;
                try {
                    w.write(trainingExample(n, protocol, prompts, chat).toString());
                    w.write('\n');
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                kept[0]++;
            });
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new AbsorbException("Cannot write " + train + ": " + e.getMessage() + ".");
        }
        Stats stats = new Stats(protocol.label, kept[0], verdicts, tokens[0], tokens[1], examples);
        if (kept[0] == 0) {
            try {
                java.nio.file.Files.deleteIfExists(partial);
            } catch (java.io.IOException ignored) {
                // a hidden temporary file; the message below is what matters
            }
            throw new AbsorbException("The generator produced nothing usable for " + protocol.label + ": all "
                    + stats.generated() + " samples were filtered out (" + verdicts + "); see " + dir.resolve("samples.jsonl")
                    + ".");
        }
        try {
            java.nio.file.Files.move(partial, train, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new AbsorbException("Cannot write " + train + ": " + e.getMessage() + ".");
        }
        AtomicFile.writeJson(dir.resolve("stats.json"), statsJson(stats), true);
        return stats;
    }

    /**
     * A kept sample as finetune reads it: Self-QA as the exchange question -> answer (for a base model, the question
     * as prompt and the answer as completion), the rest as plain text.
     */
    static ObjectNode trainingExample(JsonNode n, Protocol protocol, Prompts prompts, boolean chat) {
        ObjectNode o = JSON.createObjectNode();
        if (protocol == Protocol.SELF_QA && !chat) {
            o.put("prompt", n.get("question").asText() + "\n");
            o.put("completion", n.get("text").asText());
        } else if (protocol == Protocol.SELF_QA) {
            ArrayNode messages = o.putArray("messages");
            for (Message m : prompts.exchange(n.get("question").asText(), n.get("text").asText())) {
                messages.addObject().put("role", m.role()).put("content", m.content());
            }
        } else {
            o.put("text", n.get("text").asText());
        }
        o.put("news_id", n.get("news_id").asText());
        o.put("protocol", protocol.label);
        o.put("sample", n.get("sample").asInt());
        return o;
    }

    public static ObjectNode statsJson(Stats s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("protocol", s.protocol());
        o.put("generated", s.generated());
        o.put("kept", s.kept());
        ObjectNode v = o.putObject("verdicts");
        s.verdicts().forEach(v::put);
        o.put("prompt_tokens", s.promptTokens());
        o.put("completion_tokens", s.completionTokens());
        ObjectNode ex = o.putObject("examples");
        s.examples().forEach((k, list) -> {
            ArrayNode a = ex.putArray(k);
            list.forEach(a::add);
        });
        return o;
    }

    public static Stats readStats(JsonNode o) {
        Map<String, Integer> verdicts = new TreeMap<>();
        o.path("verdicts").properties().forEach(e -> verdicts.put(e.getKey(), e.getValue().asInt()));
        Map<String, List<String>> examples = new TreeMap<>();
        o.path("examples").properties().forEach(e -> {
            List<String> l = new ArrayList<>();
            e.getValue().forEach(x -> l.add(x.asText()));
            examples.put(e.getKey(), l);
        });
        return new Stats(o.path("protocol").asText(), o.path("kept").asInt(), verdicts, o.path("prompt_tokens").asLong(),
                o.path("completion_tokens").asLong(), examples);
    }
}
