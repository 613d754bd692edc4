package absorb.news;

import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.io.AtomicFile;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted case for the pipeline's stages on the bundled graph model, which learned to predict a word from the words
 * seen beside it earlier in its context: the news "apple bird" makes "bird" the likely word after "apple". With the
 * news in context it answers; without, it guesses; after a brief fine-tuning on question -> answer data for the news
 * (Self-QA's shape), it answers without the news. This checks that evaluation, data preparation and training are
 * wired together, not the study's findings.
 */
class PlantedNewsTest {
    private static final Path MODEL = Path.of("models/graphs-small");

    @TempDir
    Path tmp;

    @Test
    void iclBeatsNoNewsAndFineTuningPutsTheNewsInTheWeights() throws Exception {
        Path prompts = writePrompts(tmp);
        List<NewsItem> items = news();
        Prompts p = Prompts.load(prompts);
        NewsEvaluation.Settings s = NewsEvaluation.Settings.defaults(NewsEvaluation.Scoring.CONTINUATION);
        try (LanguageModel lm = LanguageModel.load(MODEL, null, Compute.CPU_FLOAT32)) {
            LocalChatModel chat = new LocalChatModel(lm, 8);
            EvalRun.Result before = EvalRun.evaluate(chat, items, p, List.of(NewsEvaluation.Condition.NO_NEWS,
                    NewsEvaluation.Condition.ICL), s, tmp.resolve("before.jsonl"), line -> { });
            double noNews = before.accuracy("no-news"), icl = before.accuracy("icl");
            assertTrue(icl >= 0.75 && icl > noNews + 0.3, "ICL " + icl + " against no news " + noNews);

            // Self-QA-shaped data: the question and its answer, without the news
            StringBuilder train = new StringBuilder();
            for (NewsItem item : items) {
                NewsItem.Question q = item.questions().get(0);
                for (int k = 0; k < 8; k++) {
                    train.append(new ObjectMapper().createObjectNode().put("text", q.question() + " " + q.correctOption())
                            .put("news_id", item.id())).append('\n');
                }
            }
            AtomicFile.writeString(tmp.resolve("train.jsonl"), train.toString());
            Path data = tmp.resolve("ft/data.jsonl");
            Files.createDirectories(data.getParent());
            NewsTraining.prepareData(tmp.resolve("train.jsonl"), items, p, false, data);
            TrainConfig c = NewsTraining.defaults(MODEL, data, tmp.resolve("ft"))
                    .withRun(TrainConfig.Run.DEFAULTS.withEpochs(4).withBatch(8, 1).withCheckpoints(0, 1));
            new Trainer(c, m -> { }).run(lm.transformer());
            EvalRun.Result after = EvalRun.evaluate(chat, items, p, List.of(NewsEvaluation.Condition.NO_NEWS), s,
                    tmp.resolve("after.jsonl"), line -> { });
            assertTrue(after.accuracy("no-news") > noNews + 0.3, "after fine-tuning " + after.accuracy("no-news")
                    + " against " + noNews + " before");
        }
    }

    /** Eight news items "NAME WORD" and the question "NAME" with WORD among three other words. */
    static List<NewsItem> news() {
        Random r = new Random(11);
        List<String> words = new ArrayList<>(absorb.graphs.Words.DEFAULT);
        Collections.shuffle(words, r);
        List<NewsItem> items = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = words.get(2 * i), key = words.get(2 * i + 1);
            List<String> options = new ArrayList<>(List.of(key));
            for (int j = 0; j < 3; j++) options.add(words.get(16 + (i * 3 + j) % 14));
            Collections.shuffle(options, r);
            items.add(new NewsItem("planted-" + i, "planted", name, name + " " + key, List.of(new NewsItem.Question(
                    "planted-" + i + "-q1", name, options, options.indexOf(key), "the news puts them together"))));
        }
        return items;
    }

    /** Templates that put the news (if any) before the question and nothing else. */
    static Path writePrompts(Path tmp) throws Exception {
        Path dir = tmp.resolve("prompts");
        Files.createDirectories(dir);
        for (Prompts.Template t : Prompts.Template.values()) {
            String text = String.join(" ", t.placeholders.stream().map(x -> "{" + x + "}").toList());
            if (t == Prompts.Template.CONTINUATION_ICL) text = "{news} {question}";
            Files.writeString(dir.resolve(t.file), text + "\n");
        }
        return dir;
    }
}
