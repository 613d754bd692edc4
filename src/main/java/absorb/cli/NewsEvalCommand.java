package absorb.cli;

import absorb.AbsorbException;
import absorb.io.RunFolder;
import absorb.model.ChatModel;
import absorb.model.LocalChatModel;
import absorb.news.EvalRun;
import absorb.news.NewsEvaluation;
import absorb.news.NewsItem;
import absorb.news.NewsSets;
import absorb.news.Prompts;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Ask a model the New News questions, with the news in the prompt (icl), without it (no-news), or"
                + " with the options alone (options-only); accuracy by domain with bootstrap intervals.")
final class NewsEvalCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model folder (or --eval-url and --eval-model).")
    Path model;

    @Option(names = "--eval-url", paramLabel = "URL",
            description = "Evaluate the model served at this OpenAI-compatible URL (such as http://127.0.0.1:8000/v1).")
    String evalUrl;

    @Option(names = "--eval-model", paramLabel = "NAME", description = "The served model's name (with --eval-url).")
    String evalModel;

    @Mixin
    ApiOptions api;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply.")
    Path adapter;

    @Mixin
    NewsOptions news;

    @Option(names = "--condition", split = ",", defaultValue = "no-news,icl,options-only", paramLabel = "LIST",
            description = "Conditions: no-news, icl, options-only (default all three).")
    List<String> conditions;

    @Mixin
    ScoringOptions scoring;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the evaluation in --out (same settings).")
    boolean resume;

    @Mixin
    Options compute;

    @Override
    public Integer call() {
        List<NewsEvaluation.Condition> conds = conditions.stream().map(String::strip).map(NewsEvaluation.Condition::parse)
                .toList();
        List<NewsItem> items = news.items();
        Prompts prompts = news.prompts();
        if ((model == null) == (evalUrl == null)) {
            throw new AbsorbException("Give --model DIR, or --eval-url URL with --eval-model NAME (one of the two).");
        }
        if (evalUrl != null && adapter != null) {
            throw new AbsorbException("--adapter applies to --model; a server serves adapters under their own model names.");
        }
        if (evalUrl != null && !resume && java.nio.file.Files.isRegularFile(out.resolve("config.json"))) {
            throw new AbsorbException("Output folder " + out + " already holds a newnews eval run; pass --resume to"
                    + " continue it, or choose another --out.");
        }
        try (ChatModel m = evalUrl != null ? api.model("eval", evalUrl, evalModel, out)
                : LocalChatModel.open(model, adapter, compute.compute(), scoring.batch)) {
            NewsEvaluation.Settings s = scoring.settings(m);
            ObjectNode config = new ObjectMapper().createObjectNode();
            config.put("command", "newnews eval");
            if (model != null) config.put("model", model.toAbsolutePath().normalize().toString());
            else ApiOptions.describe(config, "eval", evalUrl, evalModel, api);
            if (adapter != null) config.put("adapter", adapter.toAbsolutePath().normalize().toString());
            news.describe(config);
            config.put("conditions", String.join(",", conds.stream().map(c -> c.label).toList()));
            scoring.describe(config, s);
            if (model != null) config.put("dtype", compute.dtype);
            RunFolder.prepare(out, config, resume, "newnews eval", List.of());
            NewsEvaluation.Scoring used = NewsEvaluation.effectiveScoring(m, s.scoring());
            if (used != s.scoring()) {
                System.err.println(m.name() + " gives no log-probabilities: " + s.scoring().label() + " scoring falls back"
                        + " to " + used.label() + " (the report says which method each number used).");
            }
            EvalRun.Result r = EvalRun.evaluate(m, items, prompts, conds, s, out.resolve("predictions.jsonl"),
                    System.err::println);
            EvalRun.write(out, "New News evaluation", m.name(), r, s);
            r.conditions().forEach((c, res) -> System.out.printf(Locale.ROOT, "%-13s acc %s%s%n", c,
                    EvalRun.format(res.metrics().get("acc").overall()), res.metrics().containsKey("acc_norm")
                            ? "  acc_norm " + EvalRun.format(res.metrics().get("acc_norm").overall()) : ""));
            System.out.println("wrote " + out.resolve("report.html"));
        }
        return 0;
    }
}
