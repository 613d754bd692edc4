package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import absorb.model.ChatModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * System-2 data generation with a scripted model whose every answer is a function of its seed: the filter's
 * verdicts, duplicate removal, the training formats, and that a generation killed part way and resumed writes the
 * same files as one never interrupted.
 */
class Sys2GenerationTest {
    private static final Path PROMPTS = Path.of("data/newnews/prompts");

    @TempDir
    Path tmp;

    /** Answers by seed: every seventh empty, every eleventh cut by the budget, every fifth a repeat of another. */
    static class Scripted implements ChatModel {
        private final int failAfter;
        private int calls;

        Scripted(int failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public Capabilities capabilities() {
            return new Capabilities(true, true, true);
        }

        @Override
        public long parameters() {
            return 1000;
        }

        @Override
        public long tokensProcessed() {
            return 0;
        }

        @Override
        public List<Completion> generate(List<Prompt> prompts, Sampling sampling) {
            if (++calls > failAfter) throw new IllegalStateException("killed");
            List<Completion> out = new ArrayList<>();
            for (int k = 0; k < prompts.size(); k++) {
                long seed = sampling.seed() + k;
                String user = prompts.get(k).messages().get(prompts.get(k).messages().size() - 1).content();
                boolean asking = user.contains("Write one question");
                long shown = seed % 5 == 0 ? seed - 1 : seed;
                String text = seed % 7 == 0 ? "" : asking ? "What does report " + shown + " change for the readers?"
                        : "Report number " + shown + " restated in other words, with every fact kept and the numbers as"
                                + " they were, for readers who missed it " + shown + ".";
                out.add(new Completion(text, seed % 11 == 0 ? "length" : "stop", 10, 20));
            }
            return out;
        }

        @Override
        public List<double[]> nextTokenLogProbs(List<Prompt> prompts, List<String> candidates) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<List<Likelihood>> continuationLikelihoods(List<ContinuationRequest> requests) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }

    private static List<NewsItem> items() {
        List<NewsItem> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(new NewsItem("n-" + i, "math", "t", "A new rule number " + i + " was announced in December 2026 by a"
                    + " committee of readers.", List.of(new NewsItem.Question("n-" + i + "-q1", "q", List.of("a", "b", "c",
                            "d"), 0, "r"))));
        }
        return out;
    }

    @Test
    void aKilledGenerationResumesToTheSameFiles() throws Exception {
        Prompts p = Prompts.load(PROMPTS);
        Sys2Generation.Settings s = Sys2Generation.Settings.preset("quick").withSamples(40);
        for (Sys2Generation.Protocol protocol : List.of(Sys2Generation.Protocol.PARAPHRASE,
                Sys2Generation.Protocol.SELF_QA)) {
            Path whole = tmp.resolve(protocol.label + "-whole"), killed = tmp.resolve(protocol.label + "-killed");
            Sys2Generation.generate(new Scripted(Integer.MAX_VALUE), items(), protocol, p, s, whole, line -> { });
            assertThrows(IllegalStateException.class,
                    () -> Sys2Generation.generate(new Scripted(3), items(), protocol, p, s, killed, line -> { }));
            // a record cut short by the kill
            Files.writeString(killed.resolve("samples.jsonl"), "{\"news_id\": \"n-1\", \"sam", StandardOpenOption.APPEND);
            Sys2Generation.generate(new Scripted(Integer.MAX_VALUE), items(), protocol, p, s, killed, line -> { });
            assertEquals(Files.readString(whole.resolve("train.jsonl")), Files.readString(killed.resolve("train.jsonl")),
                    protocol.label);
            assertEquals(Files.readString(whole.resolve("stats.json")), Files.readString(killed.resolve("stats.json")));
        }
    }

    @Test
    void theFilterCountsEachVerdictAndTheFormatsAreFinetunes() throws Exception {
        Prompts p = Prompts.load(PROMPTS);
        Path dir = tmp.resolve("qa");
        Sys2Generation.Stats st = Sys2Generation.generate(new Scripted(Integer.MAX_VALUE), items(),
                Sys2Generation.Protocol.SELF_QA, p, Sys2Generation.Settings.preset("quick").withSamples(40), dir,
                line -> { });
        Map<String, Integer> v = st.verdicts();
        assertEquals(120, st.generated());
        assertTrue(v.getOrDefault("empty_question", 0) > 0 && v.getOrDefault("truncated_question", 0) > 0
                && v.getOrDefault("duplicate", 0) > 0 && v.getOrDefault("empty", 0) > 0, v.toString());
        assertEquals(st.kept(), v.get("kept"));
        List<String> lines = Files.readAllLines(dir.resolve("train.jsonl"));
        assertEquals(st.kept(), lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("user", first.get("messages").get(1).get("role").asText());
        assertEquals("assistant", first.get("messages").get(2).get("role").asText());
        assertTrue(!first.toString().contains("announced"), "the training example carries no news: " + first);
        assertEquals("self-qa", first.get("protocol").asText());
    }

    @Test
    void aGeneratorThatProducesNothingUsableStopsTheStage() {
        ChatModel silent = new Scripted(Integer.MAX_VALUE) {
            @Override
            public List<Completion> generate(List<Prompt> prompts, Sampling sampling) {
                return prompts.stream().map(x -> new Completion("", "stop", 1, 0)).toList();
            }
        };
        AbsorbException e = assertThrows(AbsorbException.class, () -> Sys2Generation.generate(silent, items(),
                Sys2Generation.Protocol.IMPLICATION, Prompts.load(PROMPTS), Sys2Generation.Settings.preset("quick"),
                tmp.resolve("none"), line -> { }));
        assertTrue(e.getMessage().contains("nothing usable"), e.getMessage());
    }

    @Test
    void shadowingPutsTheNewsInFrontAndKeepsTheLossOnTheSameText() throws Exception {
        Prompts p = Prompts.load(PROMPTS);
        ObjectMapper json = new ObjectMapper();
        JsonNode text = json.readTree("{\"text\": \"the rule doubles\", \"news_id\": \"n-0\"}");
        JsonNode shadowed = NewsTraining.shadowed(text, "NEWS TEXT", p);
        assertEquals("the rule doubles", shadowed.get("completion").asText());
        assertTrue(shadowed.get("prompt").asText().contains("NEWS TEXT"));
        JsonNode chat = json.readTree("{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\","
                + " \"content\": \"why?\"}, {\"role\": \"assistant\", \"content\": \"because\"}], \"news_id\": \"n-0\"}");
        JsonNode s2 = NewsTraining.shadowed(chat, "NEWS TEXT", p);
        assertTrue(s2.get("messages").get(1).get("content").asText().startsWith("News: NEWS TEXT"));
        assertTrue(s2.get("messages").get(1).get("content").asText().endsWith("why?"));
        assertEquals("because", s2.get("messages").get(2).get("content").asText());
    }
}
