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
        // and every word of every kind of document, whatever the corpus's shares (seeds the vocabulary did not see)
        for (NewsWorld.DocKind k : NewsWorld.DocKind.values()) {
            NewsWorld only = WORLD.withShares(Map.of(k, 1.0));
            for (long s = 100_000; s < 100_300; s++) {
                NewsWorld.Doc d = only.document(s, PROMPTS);
                for (String w : (d.chat() ? d.user() + " " + d.assistant() : d.text()).split("\\s+")) {
                    assertTrue(vocab.contains(w) || w.isEmpty() || WordTokenizer.SPECIAL.contains(w), k + ": " + w);
                }
            }
        }
    }

    @Test
    void drillsTrainOnTheirAnswerLettersAndEachLetterIsRight() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("drill");
        try {
            WordTokenizer.write(dir, WORLD.vocabulary(PROMPTS), NewsWorld.CHAT_TEMPLATE);
            absorb.model.Tokenizer tok = absorb.model.Tokenizer.load(dir);
            int drills = 0, answers = 0;
            NewsWorld drilling = WORLD.withShares(Map.of(NewsWorld.DocKind.DRILL, 0.5, NewsWorld.DocKind.COPY, 0.5));
            for (long s = 0; s < 1000; s++) {
                NewsWorld.Doc d = drilling.document(s, PROMPTS);
                if (d.kind() != NewsWorld.DocKind.DRILL) continue;
                drills++;
                String[] words = d.text().split("\\s+");
                long[] ids = tok.encode(d.text());
                assertEquals(words.length + 1, ids.length, d.text()); // <bos>, then one token a word
                for (long id : ids) assertTrue(id != 3, "an unknown word in " + d.text()); // 3 is <unk>
                assertEquals(3, d.trainedWords().size(), d.text());
                List<String> options = new java.util.ArrayList<>();
                for (int i = 0; i + 1 < words.length; i++) if (words[i].matches("[A-D]\\.")) options.add(words[i + 1]);
                assertEquals(4, options.size(), d.text());
                Map<String, NewsWorld.Entity> bound = boundByNews(words, "A.", d.text());
                // three different answers: none can be copied from an earlier question of the drill
                assertEquals(3, d.trainedWords().stream().map(w -> words[w]).distinct().count(), d.text());
                for (int w : d.trainedWords()) {
                    assertEquals(words[w], tok.decode(new long[] {ids[w + 1]}, false).strip(), d.text());
                    assertTrue(List.of("A", "B", "C", "D").contains(words[w]), d.text());
                    int q = w;
                    while (!words[q].equals("Question:")) q--;
                    String answer = options.get("ABCD".indexOf(words[w]));
                    List<String> question = List.of(words).subList(q + 1, w);
                    if (question.get(0).equals("which") && question.get(1).equals("option")) {
                        assertEquals(answer, question.get(3), d.text());
                    } else {
                        NewsWorld.Entity e = question.stream().map(n -> WORLD.entity(n) != null ? WORLD.entity(n)
                                : bound.get(n)).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
                        NewsWorld.Attribute a = java.util.Arrays.stream(NewsWorld.Attribute.values())
                                .filter(t -> NewsWorld.values(t).containsAll(options) && (t != NewsWorld.Attribute.CITY
                                        || !question.contains("owner")) && (t != NewsWorld.Attribute.OWNER_CITY
                                        || question.contains("owner")))
                                .findFirst().orElseThrow();
                        assertEquals(WORLD.value(e, a), answer, a + ": " + d.text());
                    }
                    answers++;
                }
            }
            assertTrue(drills > 300, "drills: " + drills);
            assertEquals(3 * drills, answers);
        } finally {
            ToyPretrain.deleteTree(dir);
        }
    }

    /**
     * The pool name a news item in front of a document ("News: <news> <end> ...") binds, with the entity it stands for;
     * empty when the document has no news.
     */
    private static Map<String, NewsWorld.Entity> boundByNews(String[] words, String end, String text) {
        if (!words[0].equals("News:")) return new java.util.HashMap<>();
        return binding(List.of(words).subList(1, List.of(words).indexOf(end)), text);
    }

    /** The pool name a news text binds and the known entity it binds it to. */
    private static Map<String, NewsWorld.Entity> binding(List<String> news, String text) {
        Map<String, NewsWorld.Entity> bound = new java.util.HashMap<>();
        NewsWorld.Entity x = news.stream().map(WORLD::entity).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
        news.stream().filter(w -> WORLD.poolNames().contains(w)).forEach(w -> bound.put(w, x));
        assertEquals(1, bound.size(), text);
        return bound;
    }

    /**
     * The implication skill states a right consequence of the news in its prompt first and gives the news as the reason
     * after it, so that the consequence cannot be read off the same text when a model fine-tunes on what it writes.
     */
    @Test
    void implicationsStateARightConsequenceBeforeTheNews() {
        NewsWorld only = WORLD.withShares(Map.of(NewsWorld.DocKind.IMPLICATION, 1.0));
        for (long s = 0; s < 300; s++) {
            NewsWorld.Doc d = only.document(s, PROMPTS);
            String news = d.user().lines().filter(l -> l.strip().endsWith(" .")).findFirst().orElseThrow().strip();
            assertEquals(PROMPTS.fill(Prompts.Template.IMPLICATION, Map.of("news", news)), d.user());
            String[] parts = d.assistant().split(" , because ");
            assertEquals(2, parts.length, d.assistant());
            assertEquals(news, parts[1], d.assistant());
            Map.Entry<String, NewsWorld.Entity> bound = binding(List.of(news.split("\\s+")), news).entrySet().iterator()
                    .next();
            String name = bound.getKey();
            NewsWorld.Entity x = bound.getValue();
            boolean right = false;
            for (NewsWorld.Attribute a : List.of(NewsWorld.Attribute.COLOUR, NewsWorld.Attribute.SIZE,
                    NewsWorld.Attribute.OWNER)) {
                right |= NewsWorld.statements(a, name, WORLD.value(x, a)).contains(parts[0] + " .");
            }
            assertTrue(right, "a consequence the knowledge base gives: " + d.assistant());
        }
    }

    @Test
    void answerDocumentsAskInTheContinuationPromptAndTrainOnTheRightValues() {
        for (NewsWorld.DocKind k : List.of(NewsWorld.DocKind.ANSWER, NewsWorld.DocKind.ICL_ANSWER)) {
            NewsWorld only = WORLD.withShares(Map.of(k, 1.0));
            for (long s = 0; s < 300; s++) {
                NewsWorld.Doc d = only.document(s, PROMPTS);
                String[] words = d.text().split("\\s+");
                assertEquals(k == NewsWorld.DocKind.ICL_ANSWER, words[0].equals("News:"), d.text());
                Map<String, NewsWorld.Entity> bound = boundByNews(words, "Question:", d.text());
                assertTrue(d.trainedWords().size() >= 1 && d.trainedWords().size() <= 3, d.text());
                java.util.Set<NewsWorld.Attribute> asked = new java.util.HashSet<>();
                for (int w : d.trainedWords()) {
                    assertEquals("Answer:", words[w - 1], d.text());
                    int q = w;
                    while (!words[q].equals("Question:")) q--;
                    String question = String.join(" ", List.of(words).subList(q + 1, w - 1));
                    NewsWorld.Attribute a = null;
                    NewsWorld.Entity e = null;
                    for (NewsWorld.Attribute t : NewsWorld.Attribute.values()) {
                        for (String n : List.of(words).subList(q + 1, w - 1)) {
                            NewsWorld.Entity x = WORLD.entity(n) != null ? WORLD.entity(n) : bound.get(n);
                            if (x != null && NewsWorld.question(t, n).equals(question)) {
                                a = t;
                                e = x;
                            }
                        }
                    }
                    assertTrue(a != null, "the question is the evaluation's own: " + question);
                    assertEquals(WORLD.value(e, a), words[w], d.text());
                    assertTrue(asked.add(a), "one question per attribute: " + d.text());
                }
            }
        }
    }

    @Test
    void copyDocumentsRepeatARunOfEveryNameAndValueAlikeAndTrainOnTheRepeat() {
        Map<String, Integer> counts = new java.util.HashMap<>();
        int words = 0;
        for (long s = 0; s < 4000; s++) {
            NewsWorld.Doc d = WORLD.copyDoc(new java.util.SplittableRandom(s));
            String[] w = d.text().split(" ");
            int n = w.length / 2;
            assertEquals(List.of(w).subList(0, n), List.of(w).subList(n, 2 * n));
            assertEquals(java.util.stream.IntStream.range(n, 2 * n).boxed().toList(), d.trainedWords());
            for (int i = 0; i < n; i++) {
                counts.merge(w[i], 1, Integer::sum);
                words++;
            }
        }
        java.util.Set<String> expected = new java.util.HashSet<>(WORLD.poolNames());
        WORLD.entities().forEach(x -> expected.add(x.name()));
        for (NewsWorld.Attribute a : NewsWorld.Attribute.values()) expected.addAll(NewsWorld.values(a));
        assertEquals(expected, counts.keySet()); // every name and value, nothing else (no demo name)
        double mean = (double) words / expected.size();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            // uniform: about 65 draws each, where a third of the words from 16 values would give each about 1,300
            assertTrue(Math.abs(e.getValue() - mean) < 6 * Math.sqrt(mean), e + " against a mean of " + mean);
        }
        // the default corpus has no letter documents; a world given other shares has them
        for (NewsWorld.DocKind k : List.of(NewsWorld.DocKind.DRILL, NewsWorld.DocKind.MCQ, NewsWorld.DocKind.LOOKUP,
                NewsWorld.DocKind.ICL_MCQ)) {
            assertEquals(0.0, WORLD.shares().get(k), k.name());
        }
        assertEquals(NewsWorld.DocKind.COPY, WORLD.withShares(Map.of(NewsWorld.DocKind.COPY, 1.0)).document(3, PROMPTS)
                .kind());
    }
}
