package absorb.news;

import absorb.analysis.Bootstrap;
import absorb.io.AtomicFile;
import absorb.io.JsonLines;
import absorb.report.BarCharts;
import absorb.report.Figure;
import absorb.report.Palette;
import absorb.report.Plot;
import absorb.report.HtmlReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a New News experiment found, and its metrics.json and report.html: the accuracy table (no news, ICL, the
 * options alone, each protocol, each shadowed, ICL after fine-tuning, retention) by domain with intervals; the FT-ICL
 * gap and the fraction of it each protocol closes, (FT_protocol - FT_naive) / (ICL - FT_naive); what shadowing does to
 * each protocol's gain over no news; the compute of every stage; the training loss curves; sample generations and the
 * filter's counts.
 */
public final class NewsResults {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EvalRun.Result baseline;
    private final EvalRun.Result controlBefore;
    private final List<NewsExperiment.Trained> trained;
    private final Map<String, Sys2Generation.Stats> generation;
    private final NewsExperiment.Settings settings;
    private final ObjectNode stages;
    private final String modelName;
    private final long parameters;

    private NewsResults(EvalRun.Result baseline, EvalRun.Result controlBefore, List<NewsExperiment.Trained> trained,
            Map<String, Sys2Generation.Stats> generation, NewsExperiment.Settings settings, ObjectNode stages,
            String modelName, long parameters) {
        this.baseline = baseline;
        this.controlBefore = controlBefore;
        this.trained = trained;
        this.generation = generation;
        this.settings = settings;
        this.stages = stages;
        this.modelName = modelName;
        this.parameters = parameters;
    }

    static NewsResults of(EvalRun.Result baseline, EvalRun.Result controlBefore, List<NewsExperiment.Trained> trained,
            Map<String, Sys2Generation.Stats> generation, NewsExperiment.Settings settings, ObjectNode stages,
            NewsExperiment.Models models) {
        return new NewsResults(baseline, controlBefore, trained, generation, settings, stages, models.baseDir().toString(),
                models.base().config().parameterCount());
    }

    public double noNews() {
        return baseline.accuracy("no-news");
    }

    public double icl() {
        return baseline.accuracy("icl");
    }

    public double optionsOnly() {
        return baseline.accuracy("options-only");
    }

    /** The base model's evaluation (no news, ICL, options only). */
    public EvalRun.Result baseline() {
        return baseline;
    }

    public List<NewsExperiment.Trained> trained() {
        return trained;
    }

    /** The fine-tuning of {@code protocol} at the largest sample count, shadowed or not (null if not run). */
    public NewsExperiment.Trained find(String protocol, boolean shadowed) {
        NewsExperiment.Trained best = null;
        for (NewsExperiment.Trained t : trained) {
            if (t.protocol().equals(protocol) && t.shadowed() == shadowed && (best == null || t.samples() > best.samples())) {
                best = t;
            }
        }
        return best;
    }

    /** No-news accuracy after fine-tuning on {@code protocol}'s data (NaN when not run). */
    public double accuracy(String protocol, boolean shadowed) {
        NewsExperiment.Trained t = find(protocol, shadowed);
        return t == null ? Double.NaN : t.noNews();
    }

    /** (FT_protocol - FT_naive) / (ICL - FT_naive): the share of the FT-ICL gap a protocol closes. */
    public double fractionClosed(String protocol) {
        double naive = accuracy("naive", false);
        return (accuracy(protocol, false) - naive) / (icl() - naive);
    }

    /** 1 - (shadowed gain over no news) / (gain over no news): how much of a protocol's gain shadowing takes away. */
    public double shadowingCut(String protocol) {
        double gain = accuracy(protocol, false) - noNews(), shadowed = accuracy(protocol, true) - noNews();
        return 1 - shadowed / gain;
    }

    /** metrics.json, report.html and the figures. */
    void write(Path out, Prompts prompts, List<NewsItem> items) {
        AtomicFile.writeJson(out.resolve("metrics.json"), metrics(), true);
        HtmlReport report = new HtmlReport("New News: absorbing news in the weights");
        section(report, out);
        report.write(out.resolve("report.html"));
    }

    /** Everything measured, as metrics.json records it. */
    public ObjectNode metrics() {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", modelName);
        o.put("parameters", parameters);
        ObjectNode base = o.putObject("baseline");
        baseline.conditions().forEach((c, r) -> base.set(c, EvalRun.conditionJson(r)));
        if (controlBefore != null) o.set("control_baseline", EvalRun.conditionJson(controlBefore.conditions().get("no-news")));
        ObjectNode diffs = o.putObject("paired_differences");
        EvalRun.differences(baseline, settings.scoring()).forEach((k, v) -> diffs.set(k, EvalRun.intervalJson(v)));
        ArrayNode ft = o.putArray("fine_tuned");
        for (NewsExperiment.Trained t : trained) {
            ObjectNode e = ft.addObject();
            e.put("name", t.name());
            e.put("protocol", t.protocol());
            e.put("samples_per_item", t.samples());
            e.put("shadowed", t.shadowed());
            t.eval().conditions().forEach((c, r) -> e.set(c, EvalRun.conditionJson(r)));
            NewsEvaluation.ConditionResult after = t.eval().conditions().get("no-news");
            if (after != null) {
                e.set("gain_over_no_news", EvalRun.intervalJson(NewsEvaluation.pairedDifference(
                        t.eval().predictions().get("no-news"), baseline.predictions().get("no-news"), settings.scoring())));
            }
            putNumber(e, "retention", t.retention());
            JsonNode rec = t.record() == null ? null : t.record().path("result");
            if (rec != null) {
                e.put("training_tokens", rec.path("tokens").asLong());
                e.put("training_flops", rec.path("flops").asDouble());
                e.put("training_steps", rec.path("steps").asInt());
                e.put("final_loss", rec.path("final_loss").asDouble());
            }
        }
        ObjectNode summary = o.putObject("summary");
        putNumber(summary, "no_news", noNews());
        putNumber(summary, "icl", icl());
        putNumber(summary, "options_only", optionsOnly());
        putNumber(summary, "ft_icl_gap", icl() - accuracy("naive", false));
        ObjectNode closed = summary.putObject("fraction_of_gap_closed");
        ObjectNode cut = summary.putObject("shadowing_cut");
        for (Sys2Generation.Protocol p : settings.protocols()) {
            putNumber(summary, p.label, accuracy(p.label, false));
            if (find(p.label, true) != null) putNumber(summary, p.label + "_shadowed", accuracy(p.label, true));
            if (p != Sys2Generation.Protocol.NAIVE && find("naive", false) != null) putNumber(closed, p.label, fractionClosed(p.label));
            if (find(p.label, true) != null) putNumber(cut, p.label, shadowingCut(p.label));
            NewsExperiment.Trained t = find(p.label, false);
            if (t != null) {
                putNumber(summary, p.label + "_icl_after", t.iclAfter());
                putNumber(summary, p.label + "_retention", t.retention());
            }
        }
        ObjectNode gen = o.putObject("generation");
        generation.forEach((p, st) -> gen.set(p, Sys2Generation.statsJson(st)));
        o.set("stages", stages);
        o.put("definitions", "accuracy: share of (question, option order) answers that are the key, over "
                + settings.scoring().permutations() + " cyclic orders; intervals: 95% bootstrap over news items;"
                + " fraction_of_gap_closed: (FT_protocol - FT_naive) / (ICL - FT_naive); shadowing_cut: 1 - (shadowed"
                + " accuracy - no-news) / (accuracy - no-news); retention: share of control answers still right among"
                + " the control questions answered right in every order before fine-tuning; FLOPs: see absorb.news.Flops");
        return o;
    }

    private static void putNumber(ObjectNode o, String k, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) o.putNull(k);
        else o.put(k, v);
    }

    /** The report's sections (a run's report, or the news half of the demo's). */
    public void section(HtmlReport report, Path figures) {
        report.section("What this is");
        report.paragraph("Model " + modelName + " (" + String.format(Locale.ROOT, "%,d", parameters) + " parameters) is"
                + " asked the New News questions without the news, with it in context (ICL) and with the options alone;"
                + " then, for each System-2 protocol, it writes training data with the news in its context, is fine-tuned"
                + " on that data (" + (settings.training().lora().enabled() ? "LoRA rank " + settings.training().lora().rank()
                        : "all weights") + ") and asked again without the news. Scoring: "
                + settings.scoring().scoring().label() + ", " + settings.scoring().permutations() + " option orders.");
        report.section("Accuracy");
        Map<String, NewsEvaluation.ConditionResult> rows = new LinkedHashMap<>(baseline.conditions());
        for (NewsExperiment.Trained t : trained) {
            t.eval().conditions().forEach((c, r) -> rows.put(t.name() + (c.equals("no-news") ? "" : " (" + c + ")"), r));
        }
        EvalRun.table(report, rows);
        List<String> lines = new ArrayList<>();
        if (find("naive", false) != null) {
            lines.add(String.format(Locale.ROOT, "FT-ICL gap: ICL %.3f minus naive fine-tuning %.3f = %.3f.", icl(),
                    accuracy("naive", false), icl() - accuracy("naive", false)));
        }
        for (Sys2Generation.Protocol p : settings.protocols()) {
            if (p == Sys2Generation.Protocol.NAIVE || find(p.label, false) == null || find("naive", false) == null) continue;
            lines.add(String.format(Locale.ROOT, "%s closes %.0f%% of the gap ((%.3f - %.3f) / (%.3f - %.3f)).", p.label,
                    100 * fractionClosed(p.label), accuracy(p.label, false), accuracy("naive", false), icl(),
                    accuracy("naive", false)));
        }
        for (Sys2Generation.Protocol p : settings.protocols()) {
            if (find(p.label, true) == null) continue;
            lines.add(String.format(Locale.ROOT, "Shadowing %s: %.3f with the news prefixed against %.3f without; it takes"
                    + " away %.0f%% of the gain over no news (%.3f).", p.label, accuracy(p.label, true),
                    accuracy(p.label, false), 100 * shadowingCut(p.label), noNews()));
        }
        for (Sys2Generation.Protocol p : settings.protocols()) {
            NewsExperiment.Trained t = find(p.label, false);
            if (t == null) continue;
            lines.add(String.format(Locale.ROOT, "After %s: ICL %.3f (before %.3f)%s.", p.label, t.iclAfter(), icl(),
                    Double.isNaN(t.retention()) ? "" : String.format(Locale.ROOT, "; retention %.3f", t.retention())));
        }
        lines.forEach(report::paragraph);
        bars(report, figures);
        lossCurves(report, figures);
        computeTable(report);
        samples(report);
    }

    private void bars(HtmlReport report, Path figures) {
        List<String> groups = new ArrayList<>(List.of("no news", "ICL", "options only"));
        List<Double> values = new ArrayList<>(List.of(noNews(), icl(), optionsOnly()));
        List<Double> errors = new ArrayList<>();
        for (String c : List.of("no-news", "icl", "options-only")) errors.add(halfWidth(baseline, c));
        for (NewsExperiment.Trained t : trained) {
            groups.add(t.name());
            values.add(t.noNews());
            errors.add(halfWidth(t.eval(), "no-news"));
        }
        var chart = BarCharts.grouped("Accuracy without the news after each fine-tuning (baselines first)", "accuracy",
                groups, List.of(new BarCharts.Bars("accuracy (95% interval)",
                        values.stream().mapToDouble(Double::doubleValue).toArray(),
                        errors.stream().mapToDouble(Double::doubleValue).toArray())));
        report.figure(chart.write(figures.resolve("accuracy_by_protocol")), "No-news accuracy of the base model and after each fine-tuning, with ICL and"
                + " the options-only baseline; bars are 95% bootstrap intervals over news items.");
        List<String> domains = new ArrayList<>(baseline.conditions().get("no-news").metrics().get("acc").byDomain().keySet());
        List<BarCharts.Bars> byDomain = new ArrayList<>();
        byDomain.add(domainBars("no news", baseline.conditions().get("no-news"), domains));
        byDomain.add(domainBars("ICL", baseline.conditions().get("icl"), domains));
        for (Sys2Generation.Protocol p : settings.protocols()) {
            NewsExperiment.Trained t = find(p.label, false);
            if (t != null) byDomain.add(domainBars(t.name(), t.eval().conditions().get("no-news"), domains));
        }
        var d = BarCharts.grouped("Accuracy by domain", "accuracy", domains, byDomain);
        report.figure(d.write(figures.resolve("accuracy_by_domain")), "Accuracy by domain: without the news, with it, and without it after each"
                + " protocol's fine-tuning.");
    }

    private static BarCharts.Bars domainBars(String name, NewsEvaluation.ConditionResult r, List<String> domains) {
        double[] v = new double[domains.size()], e = new double[domains.size()];
        for (int i = 0; i < v.length; i++) {
            Bootstrap.Interval iv = r == null ? Bootstrap.Interval.NONE
                    : r.metrics().get("acc").byDomain().getOrDefault(domains.get(i), Bootstrap.Interval.NONE);
            v[i] = iv.estimate();
            e[i] = (iv.high() - iv.low()) / 2;
        }
        return new BarCharts.Bars(name, v, e);
    }

    private static double halfWidth(EvalRun.Result r, String condition) {
        NewsEvaluation.ConditionResult c = r.conditions().get(condition);
        if (c == null) return Double.NaN;
        Bootstrap.Interval iv = c.metrics().get("acc").overall();
        return (iv.high() - iv.low()) / 2;
    }

    /** The loss of every fine-tuning against its step: scaling is visible in accuracy, not in the loss. */
    private void lossCurves(HtmlReport report, Path figures) {
        Plot plot = new Plot("Training loss of each fine-tuning").x("optimizer step", Plot.Scale.LINEAR)
                .y("loss (mean over target tokens)", Plot.Scale.LINEAR);
        java.util.Map<String, java.awt.Color> colours = Palette.keyed(trained.stream().map(NewsExperiment.Trained::name).toList());
        int drawn = 0;
        for (NewsExperiment.Trained t : trained) {
            Path m = figures.resolve("train").resolve(t.name()).resolve("metrics.jsonl");
            if (!Files.isRegularFile(m)) continue;
            List<JsonNode> lines = JsonLines.read(m);
            if (lines.isEmpty()) continue;
            Plot.Style style = Plot.Style.of(colours.get(t.name())).marker(Plot.Marker.NONE);
            plot.line(t.name(), lines.stream().mapToDouble(n -> n.path("step").asDouble()).toArray(),
                    lines.stream().mapToDouble(n -> n.path("loss").asDouble()).toArray(), t.shadowed() ? style.dashed() : style);
            drawn++;
        }
        if (drawn == 0) return;
        report.figure(Figure.of(plot, 620, 380).write(figures.resolve("loss_curves")), "Training loss against step"
                + " (dashed: with the news prefixed). A shadowed run's loss falls lowest: the answers are predictable from"
                + " the news in front of them, so its weights need to learn least.");
    }

    private void computeTable(HtmlReport report) {
        report.section("Compute");
        List<List<String>> rows = new ArrayList<>();
        stages.properties().forEach(e -> {
            JsonNode r = e.getValue() == null ? null : e.getValue().path("result");
            if (r == null || r.isMissingNode()) return;
            rows.add(List.of(e.getKey(), String.format(Locale.ROOT, "%,d", r.path("tokens").asLong()),
                    r.path("flops").isNumber() ? String.format(Locale.ROOT, "%.3g", r.path("flops").asDouble()) : "n/a",
                    r.has("seconds") ? String.format(Locale.ROOT, "%.1f", r.path("seconds").asDouble()) : ""));
        });
        report.table(List.of("stage", "tokens", "FLOPs", "seconds"), rows);
        report.paragraph("FLOPs: 2 N T for forward passes (evaluation, generation); 6 N T for full fine-tuning;"
                + " 4 N T + 6 A T for LoRA with A adapter parameters (N parameters, T tokens).");
    }

    private void samples(HtmlReport report) {
        report.section("What the model wrote");
        List<List<String>> rows = new ArrayList<>();
        generation.forEach((p, st) -> rows.add(List.of(p, String.valueOf(st.generated()), String.valueOf(st.kept()),
                st.verdicts().toString())));
        report.table(List.of("protocol", "generated", "kept", "verdicts"), rows);
        generation.forEach((p, st) -> st.examples().forEach((verdict, ex) -> {
            for (String e : ex) report.paragraph(p + " (" + verdict + "): " + (e.length() > 600 ? e.substring(0, 600) + "..." : e));
        }));
    }
}
