package absorb.news;

import absorb.AbsorbException;
import absorb.io.Hashes;
import absorb.model.ChatModel;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.report.Claim;
import absorb.report.HtmlReport;
import absorb.report.Summary;
import absorb.train.TrainConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The New News half of the demo, on the toy news world's bundled models: no news, ICL, the four System-2 protocols,
 * shadowing, ICL after fine-tuning, retention of pretrained knowledge, the unrehearsed uses, and accuracy against
 * training compute across model sizes; each claim measured with the demo's seed and again with more seeds.
 */
public final class NewsDemo {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final double MIN_ICL = 0.8, CHANCE = 0.25, NEAR_CHANCE = 0.15, MIN_RETENTION = 0.95;
    /**
     * How the demo reads answers: the log-likelihood of each option's words after "Answer:" (lm-evaluation-harness's
     * multiple choice). The news world's models answer in words; none of the runs tried here learned to read an
     * option's letter (docs/toy-worlds.md), so letter scoring would measure that lookup, not the news.
     */
    static final NewsEvaluation.Scoring SCORING = NewsEvaluation.Scoring.CONTINUATION;

    /**
     * @param model the model the protocols are compared on
     * @param sizes models of several sizes for accuracy against compute (the same world), smallest first
     * @param items the demo's news items; control the pretrained facts asked for retention
     * @param unrehearsed question ids of the uses the System-2 prompts never practise
     * @param samples samples per item of the comparison; samplesGrid those of the compute curves
     * @param training the fine-tuning settings
     */
    public record Settings(Path model, List<Path> sizes, List<NewsItem> items, List<NewsItem> control,
            Set<String> unrehearsed, int samples, List<Integer> samplesGrid, TrainConfig training, long seed,
            int robustnessSeeds, int batch) {
        public Settings {
            if (robustnessSeeds < 0) throw new AbsorbException("--robustness-seeds must be 0 or more, not " + robustnessSeeds + ".");
            sizes = List.copyOf(sizes);
        }
    }

    private NewsDemo() {}

    /**
     * Runs the experiments into {@code out} (a folder directly under the demo's, where summary.json goes), adds their
     * sections to {@code report} and their claims to {@code summary}.
     */
    public static void run(Settings s, Prompts prompts, Path out, HtmlReport report, Summary summary, Consumer<String> log) {
        List<List<Claim>> bySeed = new ArrayList<>();
        long[] others = new long[s.robustnessSeeds()];
        NewsResults first = null;
        for (int k = 0; k <= s.robustnessSeeds(); k++) {
            long seed = s.seed() + k;
            if (k > 0) others[k - 1] = seed;
            log.accept("news: the comparison with seed " + seed);
            NewsResults r = compare(s, prompts, seed, out.resolve(k == 0 ? "comparison" : "comparison-seed-" + seed),
                    k == 0 ? log : line -> { });
            if (k == 0) first = r;
            List<Claim> claims = new ArrayList<>(claims(r, s));
            claims.addAll(scalingClaims(s, prompts, seed, out.resolve(k == 0 ? "scaling" : "scaling-seed-" + seed),
                    k == 0 ? log : line -> { }));
            bySeed.add(claims);
        }
        report.section("New News on the toy news world");
        report.paragraph("The model learned a fixed knowledge base in pretraining (entities with a colour, a size, an owner"
                + " and a home city); each news item binds a name it has never seen to a known entity, and the questions"
                + " about the new name need one hop through that knowledge (two for the owner's city). The System-2"
                + " skills the model learned never touch a home city: the city and two-hop questions measure what fine-tuning integrates beyond what it rehearses.");
        first.section(report, out.resolve("comparison"));
        scalingSection(s, out.resolve("scaling"), report);
        String dir = out.getFileName().toString();
        List<Claim> shown = new ArrayList<>();
        for (Claim c : bySeed.get(0)) {
            shown.add(c.name().startsWith("news.scaling.") ? c.shownBy(dir + "/scaling/accuracy_vs_compute.png",
                    "Accuracy without the news after Self-QA against training FLOPs and samples per item, one line per"
                            + " model size.")
                    : c.shownBy(dir + "/comparison/accuracy_by_protocol.png", "No-news accuracy of the base model and"
                            + " after each fine-tuning, beside ICL and the options-only baseline."));
        }
        List<Claim> all = Claim.acrossSeeds(shown, bySeed.subList(1, bySeed.size()), others);
        all.forEach(c -> log.accept(c.line()));
        summary.add(all);
    }

    /** The accuracy-against-compute figure of the demo's seed. */
    private static void scalingSection(Settings s, Path out, HtmlReport report) {
        List<Path> runs = s.sizes().stream().map(m -> out.resolve(m.getFileName().toString())).toList();
        NewsScaling.Result r = NewsScaling.of(runs, "self-qa", null);
        report.section("Accuracy against training compute");
        report.paragraph("Self-QA fine-tuning of models of " + s.sizes().size() + " sizes on " + s.samplesGrid()
                + " samples per news item; the target, half way from no news to ICL, is " + f(r.target()) + ".");
        report.figure(fileBytes(out.resolve("accuracy_vs_compute.png")), "Accuracy without the news after Self-QA"
                + " fine-tuning against its training FLOPs (left) and against samples per news item (right), one line"
                + " per model size.");
    }

    /** The protocols compared on the main model, with shadowing, ICL after fine-tuning and retention. */
    private static NewsResults compare(Settings s, Prompts prompts, long seed, Path out, Consumer<String> log) {
        NewsExperiment.Settings es = new NewsExperiment.Settings(List.of(Sys2Generation.Protocol.values()),
                List.of(s.samples()), Sys2Generation.Settings.preset("quick").withSamples(s.samples())
                        .withSampling(1.0, 0.95, seed).withBudgets(96, 32),
                NewsEvaluation.Settings.defaults(SCORING), s.training().withRun(
                        s.training().run().withSeed(seed)), true, true, s.batch());
        return experiment(s.model(), s, prompts, es, out, log);
    }

    private static NewsResults experiment(Path model, Settings s, Prompts prompts, NewsExperiment.Settings es, Path out,
            Consumer<String> log) {
        try (Local models = new Local(model, s.batch())) {
            ObjectNode identity = JSON.createObjectNode();
            identity.put("model", model.toAbsolutePath().normalize().toString());
            identity.put("model_sha256", Hashes.sha256(model.resolve("config.json")));
            identity.put("items", Hashes.sha256(JSON.valueToTree(s.items()).toString()));
            identity.put("prompts_sha256", Hashes.sha256Folder(prompts.dir()));
            return NewsExperiment.run(models, s.items(), s.control(), prompts, es, identity, out, log);
        }
    }

    /** The claims of one comparison (see the README's table for what each holds and why). */
    static List<Claim> claims(NewsResults r, Settings s) {
        double noNews = r.noNews(), icl = r.icl(), naive = r.accuracy("naive", false);
        double para = r.accuracy("paraphrase", false), impl = r.accuracy("implication", false);
        double qa = r.accuracy("self-qa", false), shadowed = r.accuracy("self-qa", true);
        NewsExperiment.Trained selfQa = r.find("self-qa", false);
        double gapBound = noNews + 0.5 * (icl - noNews);
        double halfGap = naive + 0.5 * (icl - naive);
        double shadowBound = noNews + 0.5 * (qa - noNews);
        double unrehearsed = selfQa == null ? Double.NaN : selfQa.eval().accuracyOn("no-news", s.unrehearsed());
        double unrehearsedIcl = selfQa == null ? Double.NaN : r.baseline().accuracyOn("icl", s.unrehearsed());
        List<Claim> out = new ArrayList<>();
        out.add(Claim.of("news.no_news_accuracy", noNews, "<= " + f(CHANCE + NEAR_CHANCE), noNews <= CHANCE + NEAR_CHANCE,
                "the base model asked without the news (chance " + f(CHANCE) + "); options alone " + f(r.optionsOnly())));
        out.add(Claim.of("news.icl_accuracy", icl, ">= " + MIN_ICL, icl >= MIN_ICL, "the news in the prompt"));
        out.add(Claim.of("news.naive_accuracy", naive, "<= no-news + half of ICL - no-news = " + f(gapBound),
                naive <= gapBound, "fine-tuned on the news text itself, asked without it: the FT-ICL gap "
                        + f(icl - naive)));
        out.add(Claim.of("news.paraphrase_accuracy", para, "< self-qa = " + f(qa), para < qa,
                "fine-tuned on paraphrases the model wrote; closes " + pct(r.fractionClosed("paraphrase")) + " of the gap"));
        out.add(Claim.of("news.implication_accuracy", impl, "> naive = " + f(naive), impl > naive,
                "fine-tuned on consequences the model spelled out; closes " + pct(r.fractionClosed("implication"))
                        + " of the gap"));
        out.add(Claim.of("news.self_qa_accuracy", qa, ">= naive + half the gap = " + f(halfGap), qa >= halfGap,
                "fine-tuned on questions and answers the model wrote with the news in context; closes "
                        + pct(r.fractionClosed("self-qa")) + " of the gap"));
        out.add(Claim.of("news.self_qa_shadowed_accuracy", shadowed, "<= no-news + half of self-qa's gain = "
                + f(shadowBound), shadowed <= shadowBound, "the same Self-QA data with the news prefixed to every"
                + " example (contextual shadowing): it takes away " + pct(r.shadowingCut("self-qa")) + " of the gain"));
        out.add(Claim.measurement("news.icl_after_ft_accuracy", selfQa == null ? Double.NaN : selfQa.iclAfter(),
                "ICL after the Self-QA fine-tuning, against " + f(icl) + " before (fine-tuning on news can lower it)"));
        double retention = selfQa == null ? Double.NaN : selfQa.retention();
        out.add(Claim.of("news.retention_accuracy", retention, ">= " + MIN_RETENTION, retention >= MIN_RETENTION,
                "pretrained facts answered right before fine-tuning, still right after the Self-QA fine-tuning"));
        long asked = s.items().stream().flatMap(i -> i.questions().stream()).filter(q -> s.unrehearsed().contains(q.id()))
                .count();
        out.add(Claim.measurement("news.unrehearsed_accuracy", unrehearsed, "after Self-QA, without the news, on the "
                + asked + " questions of uses the System-2 prompts never practise (an attribute they never ask about,"
                + " two hops); with the news in context " + f(unrehearsedIcl)));
        return out;
    }

    /**
     * Accuracy after Self-QA against training compute for each model size (samples per item from the grid), and what
     * the trends show: accuracy rises with compute for every size, and the largest model reaches the target with
     * fewer samples per item than the smallest.
     */
    private static List<Claim> scalingClaims(Settings s, Prompts prompts, long seed, Path out, Consumer<String> log) {
        List<Path> runs = new ArrayList<>();
        for (Path model : s.sizes()) {
            Path run = out.resolve(model.getFileName().toString());
            NewsExperiment.Settings es = new NewsExperiment.Settings(List.of(Sys2Generation.Protocol.SELF_QA),
                    s.samplesGrid(), Sys2Generation.Settings.preset("quick").withSampling(1.0, 0.95, seed)
                            .withBudgets(96, 32), NewsEvaluation.Settings.defaults(SCORING),
                    s.training().withRun(s.training().run().withSeed(seed)), false, false, s.batch());
            log.accept("news: accuracy against compute on " + model);
            experiment(model, s, prompts, es, run, log);
            runs.add(run);
        }
        NewsScaling.Result r = NewsScaling.of(runs, "self-qa", null);
        NewsScaling.write(r, "self-qa", out);
        List<Claim> out2 = new ArrayList<>();
        double minSlope = Double.POSITIVE_INFINITY;
        for (NewsScaling.Trend t : r.trends()) minSlope = Math.min(minSlope, t.b());
        out2.add(Claim.of("news.scaling.min_slope", minSlope, "> 0", minSlope > 0, "the smallest rise of accuracy per"
                + " decade of training FLOPs over the " + r.trends().size() + " sizes"));
        double small = samplesToReach(r, r.trends().get(0).parameters()), large = samplesToReach(r,
                r.trends().get(r.trends().size() - 1).parameters());
        out2.add(Claim.of("news.scaling.larger_needs_fewer_samples", large, "< the smallest model's " + f(small), large < small,
                "samples per item at which the largest model's accuracy first reaches the target (interpolated)"));
        return out2;
    }

    /** The samples per item at which a size's accuracy first reaches the target, by linear interpolation (NaN: never). */
    static double samplesToReach(NewsScaling.Result r, long parameters) {
        List<NewsScaling.Point> ps = new ArrayList<>(r.points().stream().filter(p -> p.parameters() == parameters).toList());
        ps.sort(java.util.Comparator.comparingInt(NewsScaling.Point::samples));
        for (int i = 0; i < ps.size(); i++) {
            if (ps.get(i).accuracy() < r.target()) continue;
            if (i == 0) return ps.get(0).samples();
            NewsScaling.Point a = ps.get(i - 1), b = ps.get(i);
            return a.samples() + (r.target() - a.accuracy()) / (b.accuracy() - a.accuracy()) * (b.samples() - a.samples());
        }
        return Double.POSITIVE_INFINITY;
    }

    private static byte[] fileBytes(Path p) {
        try {
            return java.nio.file.Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new AbsorbException("Cannot read " + p + ": " + e.getMessage() + ".");
        }
    }

    private static String f(double v) {
        return Claim.format(v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    /** A bundled model loaded here, which also writes its own System-2 data. */
    private static final class Local implements NewsExperiment.Models {
        private final Path dir;
        private final LanguageModel lm;
        private final ChatModel chat;

        Local(Path dir, int batch) {
            this.dir = dir;
            this.lm = LanguageModel.load(dir, null, Compute.CPU_FLOAT32);
            this.chat = new LocalChatModel(lm, batch);
        }

        public LanguageModel base() {
            return lm;
        }

        public ChatModel generator() {
            return chat;
        }

        public Path baseDir() {
            return dir;
        }

        public void close() {
            lm.close();
        }
    }
}
