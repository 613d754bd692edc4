package absorb.cli;

import absorb.model.ChatModel;
import absorb.news.NewsEvaluation;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

/** How New News answers are scored. */
final class ScoringOptions {
    @Option(names = "--scoring", paramLabel = "M",
            description = "letter (default with a chat template), continuation (default for base models) or generate.")
    String scoring;

    @Option(names = "--permutations", defaultValue = "4", paramLabel = "K",
            description = "Cyclic option orders per question, 1-4 (4: every option once in every position).")
    int permutations;

    @Option(names = "--bootstrap", defaultValue = "1000", paramLabel = "N", description = "Bootstrap resamples (1000).")
    int bootstrap;

    @Option(names = "--batch", defaultValue = "16", paramLabel = "B", description = "Prompts per forward pass (16).")
    int batch;

    NewsEvaluation.Settings settings(ChatModel m) {
        NewsEvaluation.Scoring s = scoring != null ? NewsEvaluation.Scoring.parse(scoring)
                : NewsEvaluation.Scoring.defaultFor(m);
        NewsEvaluation.effectiveScoring(m, s);
        return new NewsEvaluation.Settings(s, permutations, bootstrap, 0, 24);
    }

    void describe(ObjectNode config, NewsEvaluation.Settings s) {
        config.put("scoring", s.scoring().label());
        config.put("permutations", s.permutations());
        config.put("bootstrap", s.bootstrap());
    }
}
