package absorb.news;

import absorb.AbsorbException;
import absorb.analysis.Bootstrap;
import absorb.model.ChatModel;
import absorb.model.ChatModel.Prompt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a model the New News questions and scores its answers. Each question is asked with its four options lettered
 * A-D under K cyclic permutations of their order (permutation k shows option (p + k) mod 4 at position p, so with
 * K = 4 every option stands once in every position), in one or more conditions: with the news in the prompt (ICL),
 * without it (no news; every fine-tuned model is asked so), or with only a neutral stem and the options (how much
 * can be guessed from the options alone). Accuracy averages over permutations; its 95% interval comes from a
 * bootstrap over news items, since the questions of one item are not independent.
 */
public final class NewsEvaluation {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the model is shown besides the question. */
    public enum Condition {
        NO_NEWS("no-news"), ICL("icl"), OPTIONS_ONLY("options-only");

        public final String label;

        Condition(String label) {
            this.label = label;
        }

        public static Condition parse(String s) {
            for (Condition c : values()) if (c.label.equals(s)) return c;
            throw new AbsorbException("--condition " + s + " is not a condition; use no-news, icl or options-only.");
        }
    }

    /** How an answer is read off the model. */
    public enum Scoring {
        /** The next-token log-probability of each option's letter after the chat template's generation prompt. */
        LETTER,
        /** The log-likelihood of each option's text after the question (lm-evaluation-harness's multiple choice). */
        CONTINUATION,
        /** Greedy generation, then the letter read from the text. */
        GENERATE;

        public static Scoring parse(String s) {
            for (Scoring v : values()) if (v.name().equalsIgnoreCase(s)) return v;
            throw new AbsorbException("--scoring " + s + " is not a scoring method; use letter, continuation or generate.");
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** letter for a model with a chat template, continuation for a base model. */
        public static Scoring defaultFor(ChatModel m) {
            return m.capabilities().chatTemplate() ? LETTER : CONTINUATION;
        }
    }

    /**
     * @param scoring how answers are read
     * @param permutations cyclic option orders per question (1 to 4)
     * @param bootstrap resamples of the news items for the intervals
     * @param seed the bootstrap's seed
     * @param maxNewTokens generate scoring's token budget
     */
    public record Settings(Scoring scoring, int permutations, int bootstrap, long seed, int maxNewTokens) {
        public Settings {
            if (permutations < 1 || permutations > 4) {
                throw new AbsorbException("--permutations must be 1 to 4 (cyclic orders of four options), not "
                        + permutations + ".");
            }
            if (bootstrap < 100) throw new AbsorbException("--bootstrap must be at least 100, not " + bootstrap + ".");
            if (maxNewTokens < 1) throw new AbsorbException("--max-new-tokens must be at least 1.");
        }

        public static Settings defaults(Scoring scoring) {
            return new Settings(scoring, 4, 1000, 0, 24);
        }
    }

    /**
     * One question asked once: which option stood where ({@code order[p]} is the original index of the option at
     * position p), the score of each original option, the key's original index, the chosen original option (-1: no
     * answer could be read), and for continuation scoring the choices after length normalisation (else -1).
     */
    public record Prediction(String questionId, String itemId, String domain, String condition, int permutation,
            int[] order, double[] scores, int answer, int chosen, int chosenNorm, int chosenBytes, String method,
            String text) {

        public boolean correct() {
            return chosen == answer;
        }

        public ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("question_id", questionId);
            o.put("item_id", itemId);
            o.put("domain", domain);
            o.put("condition", condition);
            o.put("permutation", permutation);
            ArrayNode ord = o.putArray("order");
            for (int i : order) ord.add(i);
            ArrayNode sc = o.putArray("scores");
            for (double s : scores) {
                if (Double.isFinite(s)) sc.add(s);
                else sc.addNull();
            }
            o.put("answer", answer);
            o.put("chosen", chosen);
            o.put("correct", correct());
            if (chosenNorm >= 0) o.put("chosen_norm", chosenNorm);
            if (chosenBytes >= 0) o.put("chosen_bytes", chosenBytes);
            o.put("method", method);
            if (text != null) o.put("text", text);
            return o;
        }

        public static Prediction fromJson(JsonNode o) {
            int[] order = new int[o.path("order").size()];
            for (int i = 0; i < order.length; i++) order[i] = o.get("order").get(i).asInt();
            double[] scores = new double[o.path("scores").size()];
            for (int i = 0; i < scores.length; i++) {
                JsonNode s = o.get("scores").get(i);
                scores[i] = s.isNull() ? Double.NEGATIVE_INFINITY : s.asDouble();
            }
            return new Prediction(o.path("question_id").asText(), o.path("item_id").asText(), o.path("domain").asText(),
                    o.path("condition").asText(), o.path("permutation").asInt(), order, scores, o.path("answer").asInt(),
                    o.path("chosen").asInt(), o.path("chosen_norm").asInt(-1), o.path("chosen_bytes").asInt(-1),
                    o.path("method").asText(), o.has("text") ? o.get("text").asText() : null);
        }

        /** Identifies the question, condition and permutation (what a resumed evaluation skips). */
        public String key() {
            return condition + "|" + questionId + "|" + permutation;
        }
    }

    /** One accuracy: over all questions and by domain, each with its bootstrap interval. */
    public record Accuracy(Bootstrap.Interval overall, Map<String, Bootstrap.Interval> byDomain, int asked) {}

    /**
     * One condition's results: the method that read the answers, each metric (acc; with continuation scoring also
     * acc_norm and acc_bytes), how many answers could not be read, and how many questions were asked how often.
     */
    public record ConditionResult(String condition, String method, Map<String, Accuracy> metrics, int unparseable,
            int questions, int asked) {}

    private NewsEvaluation() {}

    /** Original option index shown at display position p under permutation k. */
    public static int shown(int p, int k, int options) {
        return (p + k) % options;
    }

    /** The option order under permutation k: order[p] is the original option at position p. */
    public static int[] order(int k, int options) {
        int[] o = new int[options];
        for (int p = 0; p < options; p++) o[p] = shown(p, k, options);
        return o;
    }

    /**
     * Asks every question of {@code items} in {@code condition} and hands each prediction to {@code sink} as it is
     * made; questions whose key is in {@code done} are skipped (a resumed evaluation). {@code progress} receives a
     * line per batch.
     */
    public static void ask(ChatModel model, List<NewsItem> items, Condition condition, Prompts prompts, Settings s,
            Set<String> done, Consumer<Prediction> sink, Consumer<String> progress) {
        Scoring scoring = effectiveScoring(model, s.scoring());
        int permutations = scoring == Scoring.CONTINUATION ? 1 : s.permutations();
        List<Asked> pending = new ArrayList<>();
        for (NewsItem item : items) {
            for (NewsItem.Question q : item.questions()) {
                for (int k = 0; k < permutations; k++) {
                    Asked a = new Asked(item, q, k);
                    if (!done.contains(condition.label + "|" + q.id() + "|" + k)) pending.add(a);
                }
            }
        }
        int batch = 32, total = pending.size();
        long t0 = System.nanoTime();
        for (int from = 0; from < total; from += batch) {
            List<Asked> chunk = pending.subList(from, Math.min(total, from + batch));
            List<Prediction> out = switch (scoring) {
                case LETTER -> letter(model, chunk, condition, prompts);
                case CONTINUATION -> continuation(model, chunk, condition, prompts);
                case GENERATE -> generate(model, chunk, condition, prompts, s.maxNewTokens());
            };
            out.forEach(sink);
            int finished = from + chunk.size();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            progress.accept(String.format(Locale.ROOT, "%s: %d/%d questions asked (%s scoring), %.1f/s, ETA %s",
                    condition.label, finished, total, scoring.label(), finished / Math.max(elapsed, 1e-9),
                    eta(elapsed / finished * (total - finished))));
        }
    }

    /** The scoring a model can give: letter scoring falls back to generation where no log-probabilities come back. */
    public static Scoring effectiveScoring(ChatModel model, Scoring wanted) {
        ChatModel.Capabilities c = model.capabilities();
        if (wanted == Scoring.LETTER && !c.chatTemplate()) {
            throw new AbsorbException("--scoring letter needs a model with a chat template, and " + model.name()
                    + " has none; use --scoring continuation (or generate).");
        }
        if (wanted == Scoring.LETTER && !c.nextTokenLogprobs()) return Scoring.GENERATE;
        if (wanted == Scoring.CONTINUATION && !c.promptLogprobs()) {
            throw new AbsorbException("--scoring continuation needs prompt log-probabilities, which " + model.name()
                    + " does not give; use --scoring letter or generate.");
        }
        return wanted;
    }

    /** A question asked under one permutation. */
    private record Asked(NewsItem item, NewsItem.Question q, int permutation) {
        List<String> displayed() {
            List<String> d = new ArrayList<>();
            for (int p = 0; p < q.options().size(); p++) d.add(q.options().get(shown(p, permutation, q.options().size())));
            return d;
        }
    }

    /** The user turn of a question in a condition (letter and generate scoring). */
    static String userTurn(Prompts prompts, NewsItem item, NewsItem.Question q, List<String> displayed, Condition c) {
        return switch (c) {
            case ICL -> prompts.fill(Prompts.Template.ICL, Map.of("news", item.news(), "question",
                    prompts.question(q.question(), displayed)));
            case NO_NEWS -> prompts.fill(Prompts.Template.NO_NEWS, Map.of("question",
                    prompts.question(q.question(), displayed)));
            case OPTIONS_ONLY -> prompts.fill(Prompts.Template.NO_NEWS, Map.of("question",
                    prompts.question(prompts.raw(Prompts.Template.OPTIONS_ONLY_STEM).strip(), displayed)));
        };
    }

    /** The context of continuation scoring: the question (or the neutral stem), after the news in ICL. */
    static String continuationContext(Prompts prompts, NewsItem item, NewsItem.Question q, Condition c) {
        return switch (c) {
            case ICL -> prompts.fill(Prompts.Template.CONTINUATION_ICL, Map.of("news", item.news(), "question", q.question()));
            case NO_NEWS -> prompts.fill(Prompts.Template.CONTINUATION_NO_NEWS, Map.of("question", q.question()));
            case OPTIONS_ONLY -> prompts.fill(Prompts.Template.CONTINUATION_NO_NEWS, Map.of("question",
                    prompts.raw(Prompts.Template.OPTIONS_ONLY_STEM).strip()));
        };
    }

    static final String LETTER_METHOD = "letter: next-token log-probability of A, B, C, D (no leading space) right"
            + " after the chat template's generation prompt";

    private static List<Prediction> letter(ChatModel model, List<Asked> chunk, Condition c, Prompts prompts) {
        List<Prompt> ps = new ArrayList<>();
        for (Asked a : chunk) ps.add(prompts.chat(userTurn(prompts, a.item(), a.q(), a.displayed(), c)));
        List<double[]> scores = model.nextTokenLogProbs(ps, Prompts.LETTERS);
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            Asked a = chunk.get(i);
            int n = a.q().options().size();
            int[] order = order(a.permutation(), n);
            double[] byOption = new double[n];
            int best = -1;
            for (int p = 0; p < n; p++) {
                byOption[order[p]] = scores.get(i)[p];
                if (best < 0 || scores.get(i)[p] > scores.get(i)[best]) best = p;
            }
            int chosen = Double.isFinite(scores.get(i)[best]) ? order[best] : -1;
            out.add(new Prediction(a.q().id(), a.item().id(), a.item().domain(), c.label, a.permutation(), order, byOption,
                    a.q().answer(), chosen, -1, -1, LETTER_METHOD, null));
        }
        return out;
    }

    static final String CONTINUATION_METHOD = "continuation: log-likelihood of \" \" + option text after the question"
            + " (options not shown, so their order cannot matter: one permutation); acc the highest, acc_norm the highest"
            + " per character, acc_bytes per UTF-8 byte of the option (lm-evaluation-harness's definitions)";

    private static List<Prediction> continuation(ChatModel model, List<Asked> chunk, Condition c, Prompts prompts) {
        List<ChatModel.ContinuationRequest> requests = new ArrayList<>();
        for (Asked a : chunk) {
            List<String> conts = a.q().options().stream().map(o -> " " + o).toList();
            requests.add(new ChatModel.ContinuationRequest(continuationContext(prompts, a.item(), a.q(), c), conts));
        }
        List<List<ChatModel.Likelihood>> lls = model.continuationLikelihoods(requests);
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            Asked a = chunk.get(i);
            List<String> options = a.q().options();
            int n = options.size();
            double[] ll = new double[n], perChar = new double[n], perByte = new double[n];
            for (int j = 0; j < n; j++) {
                ll[j] = lls.get(i).get(j).logLikelihood();
                perChar[j] = ll[j] / options.get(j).length();
                perByte[j] = ll[j] / options.get(j).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            }
            int chosen = argmax(ll);
            out.add(new Prediction(a.q().id(), a.item().id(), a.item().domain(), c.label, 0, order(0, n), ll, a.q().answer(),
                    chosen, argmax(perChar), argmax(perByte), CONTINUATION_METHOD, null));
        }
        return out;
    }

    static final String GENERATE_METHOD = "generate: greedy generation, then the letter read by absorb's rule (see"
            + " NewsEvaluation.readLetter); text without a readable letter counts as wrong";

    private static List<Prediction> generate(ChatModel model, List<Asked> chunk, Condition c, Prompts prompts,
            int maxNewTokens) {
        List<Prompt> ps = new ArrayList<>();
        for (Asked a : chunk) ps.add(prompts.chat(userTurn(prompts, a.item(), a.q(), a.displayed(), c)));
        List<ChatModel.Completion> texts = model.generate(ps, ChatModel.Sampling.greedy(maxNewTokens));
        List<Prediction> out = new ArrayList<>();
        for (int i = 0; i < chunk.size(); i++) {
            Asked a = chunk.get(i);
            int n = a.q().options().size();
            int[] order = order(a.permutation(), n);
            int letter = readLetter(texts.get(i).text());
            int chosen = letter < 0 ? -1 : order[letter];
            double[] byOption = new double[n];
            java.util.Arrays.fill(byOption, Double.NEGATIVE_INFINITY);
            if (chosen >= 0) byOption[chosen] = 0;
            out.add(new Prediction(a.q().id(), a.item().id(), a.item().domain(), c.label, a.permutation(), order, byOption,
                    a.q().answer(), chosen, -1, -1, GENERATE_METHOD, texts.get(i).text()));
        }
        return out;
    }

    private static final Pattern ANSWER_IS = Pattern.compile(
            "(?i)\\banswer\\s*(?:is|:)?\\s*(?:option\\s*)?\\(?([A-D])\\)?(?![A-Za-z])");
    private static final Pattern LEADING = Pattern.compile("^\\s*\\(?([A-D])(?:[.):\\s]|$)");

    /**
     * The letter (0 for A .. 3 for D) an answer names, or -1: "the answer is C" / "Answer: (C)" anywhere, else a
     * letter standing at the start ("C", "C.", "(C)", "C) ..."); anything else is unreadable.
     */
    public static int readLetter(String text) {
        Matcher m = ANSWER_IS.matcher(text);
        if (m.find()) return m.group(1).charAt(0) - 'A';
        m = LEADING.matcher(text);
        if (m.find()) return m.group(1).charAt(0) - 'A';
        return -1;
    }

    /** The results of one condition's predictions, with intervals from a bootstrap over news items. */
    public static ConditionResult summarise(String condition, List<Prediction> predictions, Settings s) {
        Map<String, Accuracy> metrics = new LinkedHashMap<>();
        boolean continuation = predictions.stream().anyMatch(p -> p.chosenNorm() >= 0);
        metrics.put("acc", accuracy(predictions, Prediction::correct, s));
        if (continuation) {
            metrics.put("acc_norm", accuracy(predictions, p -> p.chosenNorm() == p.answer(), s));
            metrics.put("acc_bytes", accuracy(predictions, p -> p.chosenBytes() == p.answer(), s));
        }
        int unparseable = (int) predictions.stream().filter(p -> p.chosen() < 0).count();
        long questions = predictions.stream().map(Prediction::questionId).distinct().count();
        String method = predictions.isEmpty() ? "" : predictions.get(0).method();
        return new ConditionResult(condition, method, metrics, unparseable, (int) questions, predictions.size());
    }

    static Accuracy accuracy(List<Prediction> predictions, java.util.function.Predicate<Prediction> correct, Settings s) {
        Map<String, Map<String, double[]>> byDomain = new TreeMap<>();
        Map<String, double[]> all = new LinkedHashMap<>();
        for (Prediction p : predictions) {
            double c = correct.test(p) ? 1 : 0;
            add(all, p.itemId(), c);
            add(byDomain.computeIfAbsent(p.domain(), d -> new LinkedHashMap<>()), p.itemId(), c);
        }
        Map<String, Bootstrap.Interval> domains = new LinkedHashMap<>();
        byDomain.forEach((d, items) -> domains.put(d, interval(items, s)));
        return new Accuracy(interval(all, s), domains, predictions.size());
    }

    private static void add(Map<String, double[]> clusters, String item, double correct) {
        double[] c = clusters.computeIfAbsent(item, k -> new double[2]);
        c[0] += correct;
        c[1] += 1;
    }

    private static Bootstrap.Interval interval(Map<String, double[]> clusters, Settings s) {
        double[][] ca = columns(clusters);
        return Bootstrap.accuracy(ca[0], ca[1], s.bootstrap(), 0.95, s.seed());
    }

    /** Per-item correct and asked counts, for bootstrap differences between conditions. */
    public static double[][] columns(Map<String, double[]> clusters) {
        double[] c = new double[clusters.size()], a = new double[clusters.size()];
        int i = 0;
        for (double[] v : clusters.values()) {
            c[i] = v[0];
            a[i++] = v[1];
        }
        return new double[][] {c, a};
    }

    /**
     * The paired difference acc(a) - acc(b) over the news items both conditions asked, with its bootstrap interval:
     * each resample draws the items once for both.
     */
    public static Bootstrap.Interval pairedDifference(List<Prediction> a, List<Prediction> b, Settings s) {
        Map<String, double[]> ca = new TreeMap<>(), cb = new TreeMap<>();
        for (Prediction p : a) add(ca, p.itemId(), p.correct() ? 1 : 0);
        for (Prediction p : b) add(cb, p.itemId(), p.correct() ? 1 : 0);
        ca.keySet().retainAll(cb.keySet());
        cb.keySet().retainAll(ca.keySet());
        double[][] x = columns(ca), y = columns(cb);
        return Bootstrap.difference(x[0], x[1], y[0], y[1], s.bootstrap(), 0.95, s.seed());
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
