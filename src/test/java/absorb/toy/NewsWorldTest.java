package absorb.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.model.ChatTemplate;
import absorb.news.NewsItem;
import absorb.news.Prompts;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NewsWorldTest {
    private static final Prompts PROMPTS = Prompts.load(Path.of("data/newnews/prompts"));
    private static final NewsWorld WORLD = NewsWorld.defaults();

    @Test
    void noDemoNameAppearsInThePretrainingCorpus() {
        Set<String> demo = new HashSet<>(WORLD.demoNames());
        assertEquals(75, demo.size());
        for (long s = 0; s < 20_000; s++) {
            NewsWorld.Doc d = WORLD.document(s, PROMPTS);
            String text = d.chat() ? d.user() + " " + d.assistant() : d.text();
            for (String w : text.split("\\s+")) assertFalse(demo.contains(w), "demo name " + w + " in document " + s);
        }
        Set<String> known = new HashSet<>(WORLD.poolNames());
        WORLD.entities().forEach(e -> known.add(e.name()));
        for (String n : demo) assertFalse(known.contains(n), n);
    }

    @Test
    void everyKeyFollowsFromTheKnowledgeBase() {
        List<NewsItem> items = WORLD.demoItems();
        assertEquals(75, items.size());
        for (NewsWorld.Kind k : NewsWorld.Kind.values()) {
            assertEquals(15, items.stream().filter(i -> i.domain().equals(k.domain)).count(), k.domain);
        }
        for (NewsItem item : items) {
            assertEquals(5, item.questions().size());
            // the news names the entity: the only known entity name in the text
            NewsWorld.Entity x = null;
            String name = null;
            for (String w : item.news().split(" ")) {
                if (WORLD.entity(w) != null) x = WORLD.entity(w);
                if (WORLD.demoNames().contains(w)) name = w;
            }
            assertTrue(x != null && name != null, item.news());
            for (NewsItem.Question q : item.questions()) {
                NewsWorld.Attribute a = NewsWorld.attributeOf(q.id());
                String key = switch (a) {
                    case COLOUR -> x.colour();
                    case SIZE -> x.size();
                    case OWNER -> x.owner();
                    case CITY -> x.city();
                    case OWNER_CITY -> WORLD.cityOf(x.owner());
                };
                assertEquals(key, q.correctOption(), q.id());
                assertEquals(4, new HashSet<>(q.options()).size(), q.id());
                assertTrue(q.question().contains(name), q.id());
            }
        }
        for (NewsItem item : WORLD.control()) {
            NewsWorld.Entity x = WORLD.entity(item.questions().get(0).question().split(" ")[3]);
            assertEquals(x.colour(), item.questions().get(0).correctOption());
        }
    }

    @Test
    void unrehearsedUsesNeverAppearInAGenerationPromptOrSkill() {
        Set<String> unrehearsed = WORLD.unrehearsedIds();
        assertEquals(150, unrehearsed.size()); // home city and two hops, for every item
        for (NewsItem item : WORLD.demoItems()) {
            for (Prompts.Template t : List.of(Prompts.Template.PARAPHRASE, Prompts.Template.IMPLICATION,
                    Prompts.Template.SELF_QA_QUESTION)) {
                assertFalse(mentionsCity(PROMPTS.fill(t, Map.of("news", item.news()))), t + " " + item.id());
            }
        }
        // the skill episodes that teach the model to write System-2 data never ask or state a home city
        int skills = 0;
        for (long s = 0; s < 20_000; s++) {
            NewsWorld.Doc d = WORLD.document(s, PROMPTS);
            if (!Set.of(NewsWorld.DocKind.PARAPHRASE, NewsWorld.DocKind.IMPLICATION, NewsWorld.DocKind.SELF_QA_QUESTION,
                    NewsWorld.DocKind.SELF_QA_ANSWER).contains(d.kind())) continue;
            skills++;
            assertFalse(mentionsCity(d.user() + " " + d.assistant()), "document " + s + ": " + d);
        }
        assertTrue(skills > 3000, "skill episodes: " + skills);
    }

    private static boolean mentionsCity(String text) {
        for (String w : text.split("\\s+")) {
            if (w.equals("city") || w.equals("live") || w.equals("lives") || NewsWorld.CITIES.contains(w)) return true;
        }
        return false;
    }

    @Test
    void theRenderingMatchesTheChatTemplate() {
        ChatTemplate t = new ChatTemplate(NewsWorld.CHAT_TEMPLATE);
        List<Map<String, Object>> m = List.of(Map.of("role", "system", "content", "You are a helpful assistant."),
                Map.of("role", "user", "content", "what colour is kabe ?\nA. red"));
        Map<String, Object> vars = Map.of("bos_token", "<bos>", "eos_token", "<eos>");
        assertEquals(NewsWorld.render("You are a helpful assistant.", "what colour is kabe ?\nA. red", null),
                t.render(m, true, vars).text());
        List<Map<String, Object>> full = new java.util.ArrayList<>(m);
        full.add(Map.of("role", "assistant", "content", "A"));
        assertEquals(NewsWorld.render("You are a helpful assistant.", "what colour is kabe ?\nA. red", "A"),
                t.render(full, false, vars).text());
    }

    @Test
    void everyWordOfTheDemoIsInTheVocabulary() {
        Set<String> vocab = new HashSet<>(WORLD.vocabulary(PROMPTS));
        for (NewsItem item : WORLD.demoItems()) {
            String user = PROMPTS.fill(Prompts.Template.ICL, Map.of("news", item.news(), "question",
                    PROMPTS.question(item.questions().get(4).question(), item.questions().get(4).options())));
            for (String w : user.split("\\s+")) assertTrue(vocab.contains(w), w);
        }
    }
}
