package absorb.news;

import absorb.analysis.Bootstrap;
import absorb.io.AtomicFile;
import absorb.io.JsonLines;
import absorb.model.ChatModel;
import absorb.report.HtmlReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One evaluation of a model on New News in a folder: every prediction in {@code predictions.jsonl} (written as it
 * is made, so an interrupted evaluation resumes where it stopped), the accuracies in {@code metrics.json}, a
 * {@code report.html}.
 */
public final class EvalRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every condition's predictions and results, in the order asked. */
    public record Result(Map<String, List<NewsEvaluation.Prediction>> predictions,
            Map<String, NewsEvaluation.ConditionResult> conditions) {

        public double accuracy(String condition) {
            NewsEvaluation.ConditionResult r = conditions.get(condition);
            return r == null ? Double.NaN : r.metrics().get("acc").overall().estimate();
        }

        /** Accuracy in {@code condition} over the questions in {@code ids} only (NaN when none was asked). */
        public double accuracyOn(String condition, Set<String> ids) {
            List<NewsEvaluation.Prediction> ps = predictions.get(condition);
            if (ps == null) return Double.NaN;
            long asked = ps.stream().filter(p -> ids.contains(p.questionId())).count();
            long right = ps.stream().filter(p -> ids.contains(p.questionId()) && p.correct()).count();
            return asked == 0 ? Double.NaN : (double) right / asked;
        }
    }

    private EvalRun() {}

    /**
     * Asks every question of {@code items} in each condition, appending predictions to {@code predictionsFile} and
     * skipping those already there.
     */
    public static Result evaluate(ChatModel model, List<NewsItem> items, Prompts prompts,
            List<NewsEvaluation.Condition> conditions, NewsEvaluation.Settings s, Path predictionsFile,
            Consumer<String> progress) {
        Set<String> wanted = new HashSet<>();
        for (NewsItem i : items) for (NewsItem.Question q : i.questions()) wanted.add(q.id());
        Map<String, List<NewsEvaluation.Prediction>> byCondition = new LinkedHashMap<>();
        for (NewsEvaluation.Condition c : conditions) byCondition.put(c.label, new ArrayList<>());
        Set<String> done = new HashSet<>();
        for (JsonNode line : JsonLines.read(predictionsFile)) {
            NewsEvaluation.Prediction p = NewsEvaluation.Prediction.fromJson(line);
            List<NewsEvaluation.Prediction> list = byCondition.get(p.condition());
            if (list == null || !wanted.contains(p.questionId()) || !done.add(p.key())) continue;
            list.add(p);
        }
        if (!done.isEmpty()) progress.accept("Resuming: " + done.size() + " predictions in " + predictionsFile + " kept.");
        try (JsonLines out = JsonLines.append(predictionsFile)) {
            for (NewsEvaluation.Condition c : conditions) {
                NewsEvaluation.ask(model, items, c, prompts, s, done, p -> {
                    out.write(p.toJson());
                    byCondition.get(c.label).add(p);
                }, line -> {
                    out.flush();
                    progress.accept(line);
                });
                out.flush();
            }
        }
        Map<String, NewsEvaluation.ConditionResult> results = new LinkedHashMap<>();
        byCondition.forEach((c, preds) -> results.put(c, NewsEvaluation.summarise(c, preds, s)));
        return new Result(byCondition, results);
    }

    /** The paired differences a report states: ICL - no news, and no news - options only. */
    public static Map<String, Bootstrap.Interval> differences(Result r, NewsEvaluation.Settings s) {
        Map<String, Bootstrap.Interval> out = new LinkedHashMap<>();
        pair(out, r, "icl", "no-news", s);
        pair(out, r, "no-news", "options-only", s);
        return out;
    }

    static void pair(Map<String, Bootstrap.Interval> out, Result r, String a, String b, NewsEvaluation.Settings s) {
        List<NewsEvaluation.Prediction> pa = r.predictions().get(a), pb = r.predictions().get(b);
        if (pa == null || pb == null || pa.isEmpty() || pb.isEmpty()) return;
        out.put(a + " - " + b, NewsEvaluation.pairedDifference(pa, pb, s));
    }

    /** metrics.json: per condition the method, each metric overall and by domain with its interval; the differences. */
    public static ObjectNode metrics(Result r, Map<String, Bootstrap.Interval> differences) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode conds = o.putObject("conditions");
        r.conditions().forEach((c, res) -> conds.set(c, conditionJson(res)));
        ObjectNode diffs = o.putObject("paired_differences");
        differences.forEach((k, v) -> diffs.set(k, intervalJson(v)));
        o.put("interval", "95% percentile interval of 1000 bootstrap resamples of the news items (questions of one item"
                + " are resampled together)");
        return o;
    }

    public static ObjectNode conditionJson(NewsEvaluation.ConditionResult res) {
        ObjectNode e = JSON.createObjectNode();
        e.put("method", res.method());
        e.put("questions", res.questions());
        e.put("asked", res.asked());
        e.put("unparseable", res.unparseable());
        res.metrics().forEach((m, acc) -> {
            ObjectNode a = e.putObject(m);
            a.set("overall", intervalJson(acc.overall()));
            ObjectNode d = a.putObject("by_domain");
            acc.byDomain().forEach((dom, iv) -> d.set(dom, intervalJson(iv)));
        });
        return e;
    }

    public static ObjectNode intervalJson(Bootstrap.Interval iv) {
        ObjectNode o = JSON.createObjectNode();
        putNumber(o, "estimate", iv.estimate());
        putNumber(o, "ci95_low", iv.low());
        putNumber(o, "ci95_high", iv.high());
        return o;
    }

    private static void putNumber(ObjectNode o, String k, double v) {
        if (Double.isNaN(v)) o.putNull(k);
        else o.put(k, v);
    }

    /** "0.412 (0.350-0.470)". */
    public static String format(Bootstrap.Interval iv) {
        if (Double.isNaN(iv.estimate())) return "n/a";
        return String.format(Locale.ROOT, "%.3f (%.3f to %.3f)", iv.estimate(), iv.low(), iv.high());
    }

    /** The accuracy table by domain, one row per condition and metric. */
    public static void table(HtmlReport report, Map<String, NewsEvaluation.ConditionResult> results) {
        List<String> domains = new ArrayList<>();
        results.values().forEach(r -> r.metrics().values().forEach(a -> a.byDomain().keySet().forEach(d -> {
            if (!domains.contains(d)) domains.add(d);
        })));
        List<String> header = new ArrayList<>(List.of("condition", "metric", "all"));
        header.addAll(domains);
        List<List<String>> rows = new ArrayList<>();
        results.forEach((c, r) -> r.metrics().forEach((m, a) -> {
            List<String> row = new ArrayList<>(List.of(c, m, format(a.overall())));
            for (String d : domains) row.add(a.byDomain().containsKey(d) ? format(a.byDomain().get(d)) : "");
            rows.add(row);
        }));
        report.table(header, rows);
    }

    /** Writes metrics.json and report.html for a finished evaluation. */
    public static void write(Path dir, String title, String modelName, Result r, NewsEvaluation.Settings s) {
        Map<String, Bootstrap.Interval> diffs = differences(r, s);
        AtomicFile.writeJson(dir.resolve("metrics.json"), metrics(r, diffs), true);
        HtmlReport report = new HtmlReport(title);
        report.section("Accuracy");
        report.paragraph("Model: " + modelName + ". Each question is asked under " + s.permutations() + " cyclic"
                + " orders of its options (continuation scoring, which does not show the options, under one); accuracy"
                + " averages over them, with 95% intervals from a bootstrap over news items.");
        table(report, r.conditions());
        r.conditions().forEach((c, res) -> report.paragraph(c + ": " + res.method() + (res.unparseable() > 0
                ? "; " + res.unparseable() + " answers could not be read and count as wrong" : "") + "."));
        if (!diffs.isEmpty()) {
            report.section("Paired differences");
            List<List<String>> rows = new ArrayList<>();
            diffs.forEach((k, v) -> rows.add(List.of(k, format(v))));
            report.table(List.of("difference", "accuracy (95% interval)"), rows);
        }
        report.write(dir.resolve("report.html"));
    }
}
