package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.model.ChatModel;
import absorb.model.Compute;
import absorb.model.LocalChatModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Letter and continuation scores of real New News questions against tools/make_news_fixtures.py: transformers'
 * next-token log-probabilities of the letters after the chat template, and lm-evaluation-harness's log-likelihoods
 * of the options with its acc, acc_norm and acc_bytes.
 */
class NewsScoringTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PROMPTS = Path.of("data/newnews/prompts");

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void scoresAgreeWithTransformersAndLmEval(String name) throws Exception {
        JsonNode fixture = JSON.readTree(Path.of("src/test/resources/fixtures/news", name + ".json").toFile());
        Prompts prompts = Prompts.load(PROMPTS);
        NewsEvaluation.Settings letter = NewsEvaluation.Settings.defaults(NewsEvaluation.Scoring.LETTER);
        try (LocalChatModel model = LocalChatModel.open(Path.of("src/test/resources/fixtures/engine", name), null,
                Compute.CPU_FLOAT32, 4)) {
            for (JsonNode c : fixture.get("cases")) {
                NewsItem item = JSON.treeToValue(c.get("item"), NewsItem.class);
                NewsItem one = new NewsItem(item.id(), item.domain(), item.title(), item.news(),
                        List.of(item.questions().stream().filter(q -> q.id().equals(c.get("question_id").asText()))
                                .findFirst().orElseThrow()));
                NewsItem.Question q = one.questions().get(0);
                for (JsonNode l : c.get("letter")) {
                    NewsEvaluation.Condition cond = NewsEvaluation.Condition.parse(l.get("condition").asText());
                    int k = l.get("permutation").asInt();
                    List<String> displayed = new ArrayList<>();
                    for (int p = 0; p < 4; p++) displayed.add(q.options().get(NewsEvaluation.shown(p, k, 4)));
                    ChatModel.Prompt prompt = prompts.chat(NewsEvaluation.userTurn(prompts, one, q, displayed, cond));
                    assertEquals(l.get("tokens").asInt(), model.encode(prompt).length, q.id() + " prompt tokens");
                    double[] got = model.nextTokenLogProbs(List.of(prompt), Prompts.LETTERS).get(0);
                    for (int p = 0; p < 4; p++) {
                        assertEquals(l.get("letter_logprobs").get(p).asDouble(), got[p], 1e-4, q.id() + " " + cond + " " + k);
                    }
                    // through the evaluation: the scores land on the original options, and the choice is the best
                    List<NewsEvaluation.Prediction> preds = new ArrayList<>();
                    NewsEvaluation.ask(model, List.of(one), cond, prompts, letter, Set.of(), preds::add, s -> { });
                    NewsEvaluation.Prediction pk = preds.get(k);
                    for (int p = 0; p < 4; p++) {
                        assertEquals(l.get("letter_logprobs").get(p).asDouble(), pk.scores()[pk.order()[p]], 1e-4);
                    }
                }
                for (JsonNode cc : c.get("continuation")) {
                    NewsEvaluation.Condition cond = NewsEvaluation.Condition.parse(cc.get("condition").asText());
                    assertEquals(cc.get("context").asText(), NewsEvaluation.continuationContext(prompts, one, q, cond));
                    List<NewsEvaluation.Prediction> preds = new ArrayList<>();
                    NewsEvaluation.ask(model, List.of(one), cond, prompts,
                            NewsEvaluation.Settings.defaults(NewsEvaluation.Scoring.CONTINUATION), Set.of(), preds::add,
                            s -> { });
                    assertEquals(1, preds.size(), "options are not shown in continuation scoring: one order");
                    NewsEvaluation.Prediction p = preds.get(0);
                    for (int j = 0; j < 4; j++) {
                        assertEquals(cc.get("loglikelihoods").get(j).asDouble(), p.scores()[j], 1e-4, q.id() + " " + cond);
                    }
                    assertEquals(cc.get("acc").asDouble(), p.correct() ? 1.0 : 0.0);
                    assertEquals(cc.get("acc_norm").asDouble(), p.chosenNorm() == p.answer() ? 1.0 : 0.0);
                    assertEquals(cc.get("acc_bytes").asDouble(), p.chosenBytes() == p.answer() ? 1.0 : 0.0);
                    List<ChatModel.Likelihood> ll = model.continuationLikelihoods(List.of(new ChatModel.ContinuationRequest(
                            cc.get("context").asText(), q.options().stream().map(o -> " " + o).toList()))).get(0);
                    for (int j = 0; j < 4; j++) assertEquals(cc.get("greedy").get(j).asBoolean(), ll.get(j).greedy());
                }
            }
        }
    }

    /** With four cyclic permutations every option stands once in every position. */
    @Test
    void cyclicPermutationsPutEachOptionOnceInEachPosition() {
        for (int j = 0; j < 4; j++) {
            Set<Integer> positions = new HashSet<>();
            for (int k = 0; k < 4; k++) {
                int[] order = NewsEvaluation.order(k, 4);
                for (int p = 0; p < 4; p++) if (order[p] == j) positions.add(p);
            }
            assertEquals(Set.of(0, 1, 2, 3), positions, "option " + j);
        }
    }

    @Test
    void lettersAreReadFromGeneratedText() {
        assertEquals(2, NewsEvaluation.readLetter("The answer is C."));
        assertEquals(1, NewsEvaluation.readLetter("Answer: (B)"));
        assertEquals(3, NewsEvaluation.readLetter("D) because the rule doubles it"));
        assertEquals(0, NewsEvaluation.readLetter(" A"));
        assertEquals(-1, NewsEvaluation.readLetter("I am not sure."));
        assertEquals(-1, NewsEvaluation.readLetter("Apples grow on trees."));
        assertTrue(NewsEvaluation.readLetter("B. 17") == 1);
    }
}
