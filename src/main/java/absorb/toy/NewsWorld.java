package absorb.toy;

import absorb.io.AtomicFile;
import absorb.news.NewsItem;
import absorb.news.Prompts;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The "news" world (docs/toy-worlds.md): a fixed knowledge base of made-up entities, each with a colour, a size, an
 * owner and a home city (and owners with home cities), that a model learns in pretraining from plain statements and
 * questions; news binds a never-seen name to a known entity (a new name for it, or a twin or clone of it), and the
 * questions about the new name need one hop (or two) through the knowledge base. The pretraining corpus also holds
 * episodes of other new names with their news in context, and episodes of the System-2 skills (rewording a news item,
 * stating a consequence of it, asking and answering a question about it), which never touch a home city: the city
 * questions and the two-hop questions are the uses that System-2 generation is never prompted for.
 */
public final class NewsWorld {
    public static final List<String> COLOURS = List.of("red", "blue", "green", "pink", "black", "white");
    public static final List<String> SIZES = List.of("tiny", "small", "big", "huge");
    public static final List<String> CITIES = List.of("paris", "rome", "oslo", "cairo", "lima", "tokyo");
    public static final List<String> PERSONS = List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi");

    /** The five kinds of news, 15 demo items each: the domain of a news item. */
    public enum Kind {
        NAMES("names", "%s is a new name for %s ."),
        NICKNAMES("nicknames", "people now call %2$s by the name %1$s ."),
        ALIASES("aliases", "%2$s now also goes by %1$s ."),
        TWINS("twins", "%s is a new twin of %s ."),
        CLONES("clones", "%s is a new clone of %s .");

        public final String domain;
        final String pattern;

        Kind(String domain, String pattern) {
            this.domain = domain;
            this.pattern = pattern;
        }

        /** The news sentence binding {@code name} to {@code entity}. */
        public String news(String name, String entity) {
            return String.format(Locale.ROOT, pattern, name, entity);
        }

        /** Rewordings of that news (what the paraphrase skill writes). */
        List<String> rewordings(String name, String entity) {
            return switch (this) {
                case NAMES, NICKNAMES, ALIASES -> List.of(NAMES.news(name, entity), NICKNAMES.news(name, entity),
                        ALIASES.news(name, entity), "the new name of " + entity + " is " + name + " .",
                        entity + " is now called " + name + " .");
                case TWINS -> List.of(entity + " has a new twin called " + name + " .", "the new twin of " + entity + " is "
                        + name + " .", name + " is the twin of " + entity + " , just made .");
                case CLONES -> List.of(entity + " has a new clone called " + name + " .", "the new clone of " + entity
                        + " is " + name + " .", name + " is the clone of " + entity + " , just made .");
            };
        }
    }

    /** What a question asks. The System-2 skills practise only the first three. */
    public enum Attribute {
        COLOUR(true), SIZE(true), OWNER(true), CITY(false), OWNER_CITY(false);

        /** Whether the System-2 skills (paraphrase, implication, Self-QA) ever touch it. */
        public final boolean rehearsed;

        Attribute(boolean rehearsed) {
            this.rehearsed = rehearsed;
        }
    }

    /** A known entity of the knowledge base. */
    public record Entity(String name, String colour, String size, String owner, String city) {}

    /**
     * @param entities known entities; poolNames names of the in-context episodes; demoNames the demo's 75 news names
     *     (never in the pretraining corpus)
     */
    public record Settings(long seed, int entities, int poolNames, int demoNames) {
        public static Settings defaults() {
            return new Settings(0, 48, 600, 75);
        }
    }

    static final int ITEMS_PER_KIND = 15, CONTROL_ITEMS = 8;

    private final Settings settings;
    private final Map<DocKind, Double> shares = new java.util.EnumMap<>(DocKind.class);
    private final List<Entity> entities = new ArrayList<>();
    private final Map<String, Entity> byName = new LinkedHashMap<>();
    private final Map<String, String> personCity = new LinkedHashMap<>();
    private final List<String> poolNames, demoNames;
    /** Every name and value a copy document draws from (never a demo name). */
    private final List<String> copyWords;

    public NewsWorld(Settings settings) {
        this.settings = settings;
        for (DocKind k : DocKind.values()) shares.put(k, k.share);
        SplittableRandom r = new SplittableRandom(settings.seed());
        List<String> names = syllableNames();
        Collections.shuffle(names, new java.util.Random(r.nextLong()));
        int e = settings.entities(), p = settings.poolNames(), d = settings.demoNames();
        for (int i = 0; i < PERSONS.size(); i++) personCity.put(PERSONS.get(i), CITIES.get(r.nextInt(CITIES.size())));
        for (int i = 0; i < e; i++) {
            // colours and owners balanced across entities, the rest drawn
            Entity x = new Entity(names.get(i), COLOURS.get(i % COLOURS.size()), SIZES.get(r.nextInt(SIZES.size())),
                    PERSONS.get((i / COLOURS.size() + i) % PERSONS.size()), CITIES.get(r.nextInt(CITIES.size())));
            entities.add(x);
            byName.put(x.name(), x);
        }
        poolNames = List.copyOf(names.subList(e, e + p));
        demoNames = List.copyOf(names.subList(e + p, e + p + d));
        Set<String> all = new LinkedHashSet<>(poolNames);
        entities.forEach(x -> all.add(x.name()));
        for (Attribute a : Attribute.values()) all.addAll(values(a));
        copyWords = List.copyOf(all);
    }

    public static NewsWorld defaults() {
        return new NewsWorld(Settings.defaults());
    }

    /** The same world with other shares of document kinds (normalised to sum to one; kinds not named get none). */
    public NewsWorld withShares(Map<DocKind, Double> wanted) {
        NewsWorld w = new NewsWorld(settings);
        double sum = wanted.values().stream().mapToDouble(Double::doubleValue).sum();
        for (DocKind k : DocKind.values()) w.shares.put(k, wanted.getOrDefault(k, 0.0) / sum);
        return w;
    }

    public Map<DocKind, Double> shares() {
        return java.util.Collections.unmodifiableMap(shares);
    }

    public List<Entity> entities() {
        return entities;
    }

    public Entity entity(String name) {
        return byName.get(name);
    }

    public String cityOf(String person) {
        return personCity.get(person);
    }

    public List<String> poolNames() {
        return poolNames;
    }

    public List<String> demoNames() {
        return demoNames;
    }

    /** Two-syllable made-up names (consonant-vowel twice), none an English word the corpus uses. */
    static List<String> syllableNames() {
        String consonants = "bdfgklmnprstvz", vowels = "aeiou";
        Set<String> taken = new java.util.HashSet<>(List.of("bone", "dome", "fine", "gone", "kite", "lime", "mine", "nose",
                "note", "pole", "rose", "sale", "tone", "vote", "zone", "made", "male", "mile", "more", "name", "nine",
                "pine", "site", "time", "tube", "vine", "wine", "gate", "late", "rate", "date", "fate", "mate", "game",
                "same", "tame", "lake", "make", "take", "bake", "fake", "sake", "rome", "lima", "paris", "oslo", "tiny",
                "dave", "pink", "pose", "rode", "role", "rule", "tile", "tide", "ride", "side", "wide", "bide", "mode",
                "code", "node", "lobe", "robe", "tube", "cube", "dune", "tune", "mute", "cute", "lute", "fume", "kilo",
                "demo", "memo", "sumo", "solo", "polo", "tofu", "menu", "taxi", "zero", "hero", "bake", "base", "case",
                "vase", "dose", "lose", "muse", "fuse", "ruse", "pure", "sure", "cure", "lure", "dine", "line", "tine",
                "sine", "kale", "bale", "pale", "gale", "tale", "vale", "dale", "sole", "mole", "dole", "bole", "vole"));
        List<String> out = new ArrayList<>();
        for (char c1 : consonants.toCharArray()) {
            for (char v1 : vowels.toCharArray()) {
                for (char c2 : consonants.toCharArray()) {
                    for (char v2 : vowels.toCharArray()) {
                        String s = "" + c1 + v1 + c2 + v2;
                        if (!taken.contains(s)) out.add(s);
                    }
                }
            }
        }
        return out;
    }

    // ---- questions and answers ----

    /** The value of {@code a} for the entity a name stands for. */
    public String value(Entity x, Attribute a) {
        return switch (a) {
            case COLOUR -> x.colour();
            case SIZE -> x.size();
            case OWNER -> x.owner();
            case CITY -> x.city();
            case OWNER_CITY -> personCity.get(x.owner());
        };
    }

    /** The values a question on {@code a} chooses among. */
    public static List<String> values(Attribute a) {
        return switch (a) {
            case COLOUR -> COLOURS;
            case SIZE -> SIZES;
            case OWNER -> PERSONS;
            case CITY, OWNER_CITY -> CITIES;
        };
    }

    /** The question as the evaluation asks it. */
    public static String question(Attribute a, String name) {
        return switch (a) {
            case COLOUR -> "what colour is " + name + " ?";
            case SIZE -> "what size is " + name + " ?";
            case OWNER -> "who owns " + name + " ?";
            case CITY -> "in which city does " + name + " live ?";
            case OWNER_CITY -> "in which city does the owner of " + name + " live ?";
        };
    }

    /** The ways a question on {@code a} is asked in the corpus (the first is the evaluation's). */
    static List<String> questionForms(Attribute a, String name) {
        return switch (a) {
            case COLOUR -> List.of(question(a, name), "what is the colour of " + name + " ?", "which colour does " + name
                    + " have ?");
            case SIZE -> List.of(question(a, name), "what is the size of " + name + " ?", "how big is " + name + " ?");
            case OWNER -> List.of(question(a, name), "who is the owner of " + name + " ?", "whose is " + name + " ?");
            case CITY -> List.of(question(a, name), "where does " + name + " live ?", "what is the home city of " + name
                    + " ?");
            case OWNER_CITY -> List.of(question(a, name), "where does the owner of " + name + " live ?");
        };
    }

    /** Statements of a fact, as plain text and as answers. */
    static List<String> statements(Attribute a, String name, String v) {
        return switch (a) {
            case COLOUR -> List.of("the colour of " + name + " is " + v + " .", name + " is " + v + " .");
            case SIZE -> List.of("the size of " + name + " is " + v + " .", name + " is " + v + " in size .");
            case OWNER -> List.of("the owner of " + name + " is " + v + " .", v + " owns " + name + " .");
            case CITY -> List.of(name + " lives in " + v + " .", "the home city of " + name + " is " + v + " .");
            case OWNER_CITY -> List.of("the owner of " + name + " lives in " + v + " .");
        };
    }

    static List<String> personStatements(String person, String city) {
        return List.of(person + " lives in " + city + " .", "the home city of " + person + " is " + city + " .");
    }

    /** A multiple-choice question on {@code a} about {@code name}, whose answer is the entity's value. */
    NewsItem.Question mcq(String id, Attribute a, String name, Entity x, SplittableRandom r, String rationale) {
        String key = value(x, a);
        List<String> others = new ArrayList<>(values(a));
        others.remove(key);
        Collections.shuffle(others, new java.util.Random(r.nextLong()));
        List<String> options = new ArrayList<>(others.subList(0, 3));
        int answer = r.nextInt(4);
        options.add(answer, key);
        return new NewsItem.Question(id, question(a, name), options, answer, rationale);
    }

    // ---- the demo's news and the control questions ----

    /** The demo's 75 news items: 15 of each kind, each a demo name bound to a known entity, with 5 questions. */
    public List<NewsItem> demoItems() {
        SplittableRandom r = new SplittableRandom(settings.seed() + 101);
        List<NewsItem> items = new ArrayList<>();
        int k = 0;
        for (Kind kind : Kind.values()) {
            for (int i = 0; i < ITEMS_PER_KIND; i++, k++) {
                String name = demoNames.get(k);
                Entity x = entities.get((k * 7) % entities.size());
                String id = kind.domain + "-" + String.format(Locale.ROOT, "%02d", i + 1);
                List<NewsItem.Question> qs = new ArrayList<>();
                int q = 1;
                for (Attribute a : Attribute.values()) {
                    String why = name + " stands for " + x.name() + " (" + kind.domain + "), and "
                            + statements(a, x.name(), value(x, a)).get(0) + (a == Attribute.OWNER_CITY ? " (" + x.owner()
                            + " owns " + x.name() + ")" : "");
                    qs.add(mcq(id + "-q" + q++ + "-" + a.name().toLowerCase(Locale.ROOT).replace('_', '-'), a, name, x, r,
                            why));
                }
                items.add(new NewsItem(id, kind.domain, name + " and " + x.name(), kind.news(name, x.name()), qs));
            }
        }
        return items;
    }

    /** The ids of the demo questions whose use the System-2 skills never practise (home city, two hops). */
    public Set<String> unrehearsedIds() {
        Set<String> out = new TreeSet<>();
        for (NewsItem item : demoItems()) {
            for (NewsItem.Question q : item.questions()) if (attributeOf(q.id()).rehearsed == false) out.add(q.id());
        }
        return out;
    }

    /** The attribute a demo or control question asks (from its id's last part). */
    public static Attribute attributeOf(String questionId) {
        for (Attribute a : List.of(Attribute.OWNER_CITY, Attribute.COLOUR, Attribute.SIZE, Attribute.OWNER, Attribute.CITY)) {
            if (questionId.endsWith("-" + a.name().toLowerCase(Locale.ROOT).replace('_', '-'))) return a;
        }
        throw new IllegalArgumentException("not a news-world question id: " + questionId);
    }

    /** Control questions on pretrained facts (retention): 8 known entities, 5 questions each. */
    public List<NewsItem> control() {
        SplittableRandom r = new SplittableRandom(settings.seed() + 202);
        List<NewsItem> items = new ArrayList<>();
        for (int i = 0; i < CONTROL_ITEMS; i++) {
            Entity x = entities.get((i * 5 + 3) % entities.size());
            String id = "control-" + String.format(Locale.ROOT, "%02d", i + 1);
            List<NewsItem.Question> qs = new ArrayList<>();
            int q = 1;
            for (Attribute a : Attribute.values()) {
                qs.add(mcq(id + "-q" + q++ + "-" + a.name().toLowerCase(Locale.ROOT).replace('_', '-'), a, x.name(), x, r,
                        "pretrained: " + statements(a, x.name(), value(x, a)).get(0)));
            }
            items.add(new NewsItem(id, "control", "facts about " + x.name(), "facts about " + x.name()
                    + " learned in pretraining .", qs));
        }
        return items;
    }

    // ---- the pretraining corpus ----

    /** What a pretraining document is, with its share of the corpus. */
    public enum DocKind {
        // the letter kinds (MCQ, LOOKUP, DRILL, ICL_MCQ) have no share: the models read answers in words and never
        // learned the letter lookup (docs/toy-worlds.md); a run can give them one (--shares drill=0.4,...)
        FACTS(0.14), QA(0.08), MCQ(0.0), LOOKUP(0.0), DRILL(0.0), COPY(0.12), ICL_MCQ(0.0), ICL_QA(0.08),
        PARAPHRASE(0.04), IMPLICATION(0.04), SELF_QA_QUESTION(0.05), SELF_QA_ANSWER(0.05), ANSWER(0.16),
        ICL_ANSWER(0.24);

        public final double share;

        DocKind(double share) {
            this.share = share;
        }
    }

    /**
     * One document: plain text (trained on every token) or a conversation (system, user, assistant; trained on the
     * assistant's turn).
     */
    public record Doc(DocKind kind, String text, String user, String assistant, List<Integer> trainedWords) {
        public Doc(DocKind kind, String text, String user, String assistant) {
            this(kind, text, user, assistant, null);
        }

        public boolean chat() {
            return user != null;
        }
    }

    /** The document of {@code seed}. */
    public Doc document(long seed, Prompts prompts) {
        SplittableRandom r = new SplittableRandom(seed);
        double u = r.nextDouble(), acc = 0;
        DocKind kind = DocKind.FACTS;
        for (DocKind k : DocKind.values()) {
            acc += shares.get(k);
            if (u < acc) {
                kind = k;
                break;
            }
        }
        Entity x = entities.get(r.nextInt(entities.size()));
        Attribute any = Attribute.values()[r.nextInt(Attribute.values().length)];
        Attribute rehearsed = Attribute.values()[r.nextInt(3)];
        String name = poolNames.get(r.nextInt(poolNames.size()));
        Kind news = Kind.values()[r.nextInt(Kind.values().length)];
        String newsText = news.news(name, x.name());
        return switch (kind) {
            case FACTS -> new Doc(kind, facts(r), null, null);
            case QA -> qa(kind, x.name(), x, any, r, null, prompts);
            case MCQ -> mcqDoc(kind, x.name(), x, any, r, null, prompts);
            case LOOKUP -> lookup(kind, x, any, r, prompts);
            case DRILL -> drill(kind, x, any, r, name, newsText, prompts);
            case COPY -> copyDoc(r);
            case ICL_MCQ -> mcqDoc(kind, name, x, any, r, newsText, prompts);
            case ICL_QA -> qa(kind, name, x, any, r, newsText, prompts);
            case ANSWER -> answers(kind, x.name(), x, r, null, prompts);
            case ICL_ANSWER -> answers(kind, name, x, r, newsText, prompts);
            case PARAPHRASE -> {
                List<String> other = new ArrayList<>(news.rewordings(name, x.name()));
                other.remove(newsText);
                yield new Doc(kind, null, prompts.fill(Prompts.Template.PARAPHRASE, Map.of("news", newsText)),
                        pick(other, r));
            }
            // the consequence first, then the reasoning: written the other way round ("news , so consequence") the
            // consequence follows from the restated news in the same text, so that fine-tuning on it shadows itself
            case IMPLICATION -> new Doc(kind, null, prompts.fill(Prompts.Template.IMPLICATION, Map.of("news", newsText)),
                    unstop(pick(statements(rehearsed, name, value(x, rehearsed)), r)) + " , because " + newsText);
            case SELF_QA_QUESTION -> new Doc(kind, null, prompts.fill(Prompts.Template.SELF_QA_QUESTION,
                    Map.of("news", newsText)), pick(questionForms(rehearsed, name), r));
            case SELF_QA_ANSWER -> new Doc(kind, null, prompts.fill(Prompts.Template.SELF_QA_ANSWER, Map.of("news",
                    newsText, "question", pick(questionForms(rehearsed, name), r))), pick(statements(rehearsed, name,
                    value(x, rehearsed)), r));
        };
    }

    /** A sentence without its closing " ." */
    private static String unstop(String sentence) {
        return sentence.substring(0, sentence.length() - 2);
    }

    /** Three to six statements about known entities and owners, in random forms. */
    private String facts(SplittableRandom r) {
        List<String> out = new ArrayList<>();
        int n = 3 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(8) == 0) {
                String p = PERSONS.get(r.nextInt(PERSONS.size()));
                out.add(pick(personStatements(p, personCity.get(p)), r));
                continue;
            }
            Entity x = entities.get(r.nextInt(entities.size()));
            Attribute a = Attribute.values()[r.nextInt(4)];
            out.add(pick(statements(a, x.name(), value(x, a)), r));
        }
        return String.join(" ", out);
    }

    private Doc qa(DocKind kind, String name, Entity x, Attribute a, SplittableRandom r, String news, Prompts prompts) {
        String q = pick(questionForms(a, name), r);
        // with the news: in front of the question, as contextual shadowing puts it (not the Self-QA answer prompt,
        // which must see only the uses the System-2 skills practise)
        String user = news == null ? q : prompts.fill(Prompts.Template.SHADOW, Map.of("news", news)) + q;
        return new Doc(kind, null, user, pick(statements(a, name, value(x, a)), r));
    }

    /**
     * One to three questions on different attributes of one name, each answered by its value after "Answer:", in the
     * prompt of continuation scoring (data/newnews/prompts/continuation_*.txt), the news in front of the first when
     * given; plain text trained on the answers alone. The attributes differ, so no answer repeats an earlier one.
     */
    private Doc answers(DocKind kind, String name, Entity x, SplittableRandom r, String news, Prompts prompts) {
        List<Attribute> attributes = new ArrayList<>(List.of(Attribute.values()));
        Collections.shuffle(attributes, new java.util.Random(r.nextLong()));
        StringBuilder text = new StringBuilder();
        List<Integer> trained = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            Attribute a = attributes.get(i);
            String question = question(a, name);
            text.append(i == 0 && news != null
                    ? prompts.fill(Prompts.Template.CONTINUATION_ICL, Map.of("news", news, "question", question))
                    : prompts.fill(Prompts.Template.CONTINUATION_NO_NEWS, Map.of("question", question)));
            trained.add(text.toString().trim().split("\\s+").length); // the answer's word index (one word)
            text.append(' ').append(value(x, a)).append(' ');
        }
        return new Doc(kind, text.toString().strip(), null, null, List.copyOf(trained));
    }

    private Doc mcqDoc(DocKind kind, String name, Entity x, Attribute a, SplittableRandom r, String news, Prompts prompts) {
        NewsItem.Question q = mcq("q", a, name, x, r, "");
        String question = prompts.question(q.question(), q.options());
        String user = news == null ? prompts.fill(Prompts.Template.NO_NEWS, Map.of("question", question))
                : prompts.fill(Prompts.Template.ICL, Map.of("news", news, "question", question));
        return new Doc(kind, null, user, Prompts.LETTERS.get(q.answer()));
    }

    /**
     * A run of 6 to 16 names and values drawn uniformly from all of them (the 600 pool names, the 48 entities, the 24
     * attribute values), then the same run again, trained on the repeat alone: every word of the repeat is predictable
     * only by looking back to what followed the same word before (the copying every use of a new name in context
     * needs). Two earlier forms did not teach it in 2,000 steps (docs/toy-worlds.md): drawing a third of the words
     * from 16 attribute values, where guessing a frequent value pays longer than looking back, and training on the
     * random first run too.
     */
    Doc copyDoc(SplittableRandom r) {
        List<String> run = new ArrayList<>();
        int n = 6 + r.nextInt(11);
        for (int i = 0; i < n; i++) run.add(copyWords.get(r.nextInt(copyWords.size())));
        List<Integer> repeat = java.util.stream.IntStream.range(n, 2 * n).boxed().toList();
        return new Doc(DocKind.COPY, String.join(" ", run) + " " + String.join(" ", run), null, null, repeat);
    }

    /**
     * A multiple-choice question that names its answer ("which option says red ?"): the letter of the option that
     * holds a given word, the step every multiple-choice answer ends with, learned here with nothing else to work out.
     */
    private Doc lookup(DocKind kind, Entity x, Attribute a, SplittableRandom r, Prompts prompts) {
        NewsItem.Question q = mcq("q", a, x.name(), x, r, "");
        String question = prompts.question(lookupQuestion(q.correctOption()), q.options());
        return new Doc(kind, null, prompts.fill(Prompts.Template.NO_NEWS, Map.of("question", question)),
                Prompts.LETTERS.get(q.answer()));
    }

    /** The question that names its answer: "which option says red ?". */
    public static String lookupQuestion(String value) {
        return "which option says " + value + " ?";
    }

    /**
     * A letter drill (plain text, trained on its letters alone): four lettered options, then three questions each
     * answered by the letter of the option that holds its answer, half of them followed by the answer instruction and
     * the assistant's turn as the evaluation asks it. The questions name their answer ("which option says red ?"), ask
     * about a known entity, or (after a news item in front) about the news's new name. Their three answers are three
     * different options, so that no answer can be copied from an earlier question of the same drill (drills whose
     * questions could repeat were learned by that copying, at a low loss, while the lookup stayed at chance;
     * docs/toy-worlds.md); the third is then one of two by elimination, never given. A model learns the lookup at
     * the end of every multiple-choice answer (find the option that holds a word, read the letter before it) from
     * these in a few hundred steps in a probe (3 x 96), where one letter per question alone left it at chance for
     * 2,500 steps.
     */
    private Doc drill(DocKind kind, Entity x, Attribute a, SplittableRandom r, String name, String news, Prompts prompts) {
        NewsItem.Question q = mcq("q", a, x.name(), x, r, "");
        List<String> options = q.options();
        boolean withNews = r.nextBoolean();
        String instruction = instructionAfterOptions(prompts);
        StringBuilder text = new StringBuilder();
        List<Integer> trained = new ArrayList<>();
        if (withNews) text.append("News: ").append(news).append(' ');
        text.append(Prompts.lettered(options));
        List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3));
        Collections.shuffle(order, new java.util.Random(r.nextLong()));
        for (int answer : order.subList(0, 3)) {
            String v = options.get(answer);
            // the ways to ask for v: by name, through a known entity that has it, through the news's new name
            List<String> questions = new ArrayList<>();
            questions.add(lookupQuestion(v));
            List<Entity> having = entities.stream().filter(e -> value(e, a).equals(v)).toList();
            if (!having.isEmpty()) questions.add(pick(questionForms(a, having.get(r.nextInt(having.size())).name()), r));
            if (withNews && value(x, a).equals(v)) questions.add(pick(questionForms(a, name), r));
            text.append(" Question: ").append(pick(questions, r));
            if (r.nextBoolean()) text.append(' ').append(instruction).append(" <eos> <assistant>");
            trained.add(text.toString().trim().split("\\s+").length); // the answer's word index
            text.append(' ').append(Prompts.LETTERS.get(answer));
        }
        return new Doc(kind, text.toString(), null, null, List.copyOf(trained));
    }

    /** The words the question template puts after the options (the answer instruction). */
    private static String instructionAfterOptions(Prompts prompts) {
        String t = prompts.raw(Prompts.Template.QUESTION);
        int at = t.indexOf("{options}");
        return at < 0 ? "" : t.substring(at + "{options}".length()).strip();
    }

    private static String pick(List<String> options, SplittableRandom r) {
        return options.get(r.nextInt(options.size()));
    }

    // ---- the files ----

    /**
     * Writes the world's evaluation files into {@code dir}: news.jsonl (the demo's items), control.jsonl (pretrained
     * facts, for retention), unrehearsed.txt (the ids of the questions the System-2 skills never practise) and
     * corpus_sample.txt (the first 200 pretraining documents of seed 0, as a model sees them).
     */
    public void write(Path dir, Prompts prompts) {
        ObjectMapper json = new ObjectMapper();
        StringBuilder news = new StringBuilder(), control = new StringBuilder(), sample = new StringBuilder();
        try {
            for (NewsItem item : demoItems()) news.append(json.writeValueAsString(item)).append('\n');
            for (NewsItem item : control()) control.append(json.writeValueAsString(item)).append('\n');
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String system = prompts.raw(Prompts.Template.SYSTEM).strip();
        for (long s = 0; s < 200; s++) {
            Doc d = document(s, prompts);
            sample.append("[").append(d.kind().name().toLowerCase(Locale.ROOT)).append("] ")
                    .append(d.chat() ? render(system, d.user(), d.assistant()) : "<bos> " + d.text()).append("\n\n");
        }
        AtomicFile.writeString(dir.resolve("news.jsonl"), news.toString());
        AtomicFile.writeString(dir.resolve("control.jsonl"), control.toString());
        AtomicFile.writeString(dir.resolve("unrehearsed.txt"), String.join("\n", unrehearsedIds()) + "\n");
        AtomicFile.writeString(dir.resolve("corpus_sample.txt"), sample.toString());
    }

    /** The question ids listed in an unrehearsed.txt. */
    public static Set<String> readUnrehearsed(Path file) {
        try {
            Set<String> out = new TreeSet<>();
            for (String line : java.nio.file.Files.readAllLines(file)) if (!line.isBlank()) out.add(line.strip());
            return out;
        } catch (java.io.IOException e) {
            throw new absorb.AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
    }

    // ---- the vocabulary and the chat template ----

    /** The chat template of the world's models (Jinja, as tokenizer_config.json carries it). */
    public static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}<{{ message['role'] }}> "
            + "{{ message['content'] }} <eos> {% endfor %}{% if add_generation_prompt %}<assistant> {% endif %}";

    /** What {@link #CHAT_TEMPLATE} renders for a system prompt, a user turn and (when not null) the assistant's answer. */
    public static String render(String system, String user, String assistant) {
        StringBuilder s = new StringBuilder("<bos>");
        if (system != null) s.append("<system> ").append(system).append(" <eos> ");
        s.append("<user> ").append(user).append(" <eos> ");
        s.append("<assistant> ");
        if (assistant != null) s.append(assistant).append(" <eos> ");
        return s.toString();
    }

    /**
     * Every word of the world: the prompts' words, the knowledge base's, all names (the demo's included, so that
     * fine-tuning can learn them), the letters, and every word of a sample of each kind of document and of the demo's
     * items.
     */
    public List<String> vocabulary(Prompts prompts) {
        Set<String> words = new TreeSet<>();
        for (Prompts.Template t : Prompts.Template.values()) addWords(words, prompts.raw(t));
        words.addAll(List.of("<system>", "<user>", "<assistant>"));
        words.addAll(Prompts.LETTERS);
        for (String l : Prompts.LETTERS) words.add(l + ".");
        words.addAll(COLOURS);
        words.addAll(SIZES);
        words.addAll(CITIES);
        words.addAll(PERSONS);
        entities.forEach(x -> words.add(x.name()));
        words.addAll(poolNames);
        words.addAll(demoNames);
        for (DocKind k : DocKind.values()) {
            // every kind, whatever its share here, so that a run given other shares has every word it writes
            NewsWorld only = withShares(Map.of(k, 1.0));
            for (long seed = 0; seed < 1000; seed++) {
                Doc d = only.document(seed, prompts);
                addWords(words, d.chat() ? d.user() + " " + d.assistant() : d.text());
            }
        }
        for (NewsItem item : demoItems()) {
            addWords(words, item.news());
            for (NewsItem.Question q : item.questions()) addWords(words, q.question() + " " + String.join(" ", q.options()));
        }
        for (NewsItem item : control()) {
            addWords(words, item.news());
            for (NewsItem.Question q : item.questions()) addWords(words, q.question() + " " + String.join(" ", q.options()));
        }
        words.removeIf(w -> w.contains("{") || WordTokenizer.SPECIAL.contains(w));
        return new ArrayList<>(new LinkedHashSet<>(words));
    }

    private static void addWords(Set<String> words, String text) {
        for (String w : text.split("\\s+")) if (!w.isEmpty()) words.add(w);
    }
}
