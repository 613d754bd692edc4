package absorb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.model.ChatModel;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.news.NewsEvaluation;
import absorb.news.NewsItem;
import absorb.news.NewsSets;
import absorb.news.Prompts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The New News evaluation through the API against absorb serve (in this process, on an ephemeral port) gives the
 * predictions the same model gives in process, to the last one, for letter, continuation and greedy generate scoring;
 * seeded sampling gives the same texts; a repeated run is answered from the cache without a request.
 */
class RemoteParityTest {
    static final Path QWEN = Path.of("src/test/resources/fixtures/engine/qwen2");
    static LanguageModel lm;
    static ApiServer server;

    @BeforeAll
    static void start() {
        lm = LanguageModel.load(QWEN, Compute.CPU_FLOAT32);
        // every token listed in top_logprobs, so that letter scoring sees all four letters on a random model
        server = ApiServer.start(lm, "qwen2", Map.of(), ApiServer.Settings.defaults().withPort(0)
                .withLimits(4 << 20, 4096, 4096, 1000));
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    static RemoteChatModel remote(Path cacheDir) {
        ApiClient c = new ApiClient(server.baseUrl(), null, new ApiClient.Settings(8, Duration.ofSeconds(60), 2,
                Duration.ofMillis(50), Duration.ofMillis(200)), cacheDir == null ? null : cacheDir.resolve("cache.jsonl"));
        return new RemoteChatModel(c, "qwen2", lm.config().vocabSize());
    }

    static List<NewsItem> items() {
        List<NewsItem> all = NewsSets.load(Path.of("data/newnews/news.jsonl"));
        return List.of(all.get(0), all.get(20));
    }

    private static List<NewsEvaluation.Prediction> ask(ChatModel m, NewsEvaluation.Scoring scoring,
            NewsEvaluation.Condition c) {
        List<NewsEvaluation.Prediction> out = new ArrayList<>();
        NewsEvaluation.Settings s = new NewsEvaluation.Settings(scoring, 4, 1000, 0, 8);
        NewsEvaluation.ask(m, items(), c, Prompts.load(Path.of("data/newnews/prompts")), s, Set.of(), out::add, x -> { });
        return out;
    }

    private static void assertSamePredictions(List<NewsEvaluation.Prediction> local, List<NewsEvaluation.Prediction> remote,
            double tol) {
        assertEquals(local.size(), remote.size());
        for (int i = 0; i < local.size(); i++) {
            NewsEvaluation.Prediction a = local.get(i), b = remote.get(i);
            assertEquals(a.key(), b.key());
            assertEquals(a.chosen(), b.chosen(), a.key());
            assertEquals(a.chosenNorm(), b.chosenNorm(), a.key());
            assertEquals(a.method(), b.method());
            assertEquals(a.text(), b.text(), a.key());
            for (int j = 0; j < a.scores().length; j++) {
                if (Double.isInfinite(a.scores()[j])) assertEquals(a.scores()[j], b.scores()[j], a.key());
                else assertEquals(a.scores()[j], b.scores()[j], tol, a.key() + " option " + j);
            }
        }
    }

    @Test
    void letterContinuationAndGenerateScoringGiveTheInProcessPredictions(@TempDir Path dir) {
        List<List<NewsEvaluation.Prediction>> local = new ArrayList<>();
        List<NewsEvaluation.Scoring> scorings = List.of(NewsEvaluation.Scoring.LETTER,
                NewsEvaluation.Scoring.CONTINUATION, NewsEvaluation.Scoring.GENERATE);
        List<NewsEvaluation.Condition> conditions = List.of(NewsEvaluation.Condition.NO_NEWS, NewsEvaluation.Condition.ICL);
        try (LocalChatModel m = new LocalChatModel(lm, 8)) {
            for (NewsEvaluation.Scoring s : scorings) for (NewsEvaluation.Condition c : conditions) local.add(ask(m, s, c));
        }
        try (RemoteChatModel r = remote(dir)) {
            assertEquals(new ChatModel.Capabilities(true, true, true), r.capabilities());
            int k = 0;
            for (NewsEvaluation.Scoring s : scorings) {
                for (NewsEvaluation.Condition c : conditions) assertSamePredictions(local.get(k++), ask(r, s, c), 2e-3);
            }
            assertTrue(r.tokensProcessed() > 0);
        }
        // the same questions again: every answer from the cache, no request sent
        long before = server.stats().get("requests");
        try (RemoteChatModel r = remote(dir)) {
            assertSamePredictions(local.get(0), ask(r, NewsEvaluation.Scoring.LETTER, NewsEvaluation.Condition.NO_NEWS), 2e-3);
            assertEquals(0, r.client().stats().get("sent"));
        }
        assertEquals(before, server.stats().get("requests"));
    }

    @Test
    void seededSamplingGivesTheInProcessTexts() {
        List<ChatModel.Prompt> prompts = List.of(ChatModel.Prompt.chat(List.of(ChatModel.Message.user("Write about apples"))),
                ChatModel.Prompt.chat(List.of(ChatModel.Message.system("Be brief."), ChatModel.Message.user("Hello"))),
                ChatModel.Prompt.plain("Once upon a time"));
        ChatModel.Sampling s = new ChatModel.Sampling(16, 1.0, 0.9, 0, 42, List.of());
        List<ChatModel.Completion> local;
        try (LocalChatModel m = new LocalChatModel(lm, 8)) {
            local = m.generate(prompts, s);
        }
        try (RemoteChatModel r = remote(null)) {
            List<ChatModel.Completion> got = r.generate(prompts, s);
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(local.get(i).text(), got.get(i).text(), "prompt " + i);
                assertEquals(local.get(i).finishReason(), got.get(i).finishReason());
                assertEquals(local.get(i).promptTokens(), got.get(i).promptTokens());
                assertEquals(local.get(i).completionTokens(), got.get(i).completionTokens());
            }
        }
    }
}
