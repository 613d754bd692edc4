package absorb.news;

import absorb.AbsorbException;
import absorb.model.ChatModel.Message;
import absorb.model.ChatModel.Prompt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The wording of every prompt the New News pipeline writes, kept as template files in one folder
 * ({@code data/newnews/prompts}, or a copy a user edits, {@code --prompts DIR}). A template is text with placeholders
 * in braces; each template must use the placeholders it is listed with below and no others.
 */
public final class Prompts {
    /** Every template: its file and the placeholders it must contain. */
    public enum Template {
        SYSTEM("system.txt"),
        QUESTION("question.txt", "question", "options"),
        ICL("icl.txt", "news", "question"),
        NO_NEWS("no_news.txt", "question"),
        OPTIONS_ONLY_STEM("options_only_stem.txt"),
        CONTINUATION_ICL("continuation_icl.txt", "news", "question"),
        CONTINUATION_NO_NEWS("continuation_no_news.txt", "question"),
        PARAPHRASE("paraphrase.txt", "news"),
        IMPLICATION("implication.txt", "news"),
        SELF_QA_QUESTION("self_qa_question.txt", "news"),
        SELF_QA_ANSWER("self_qa_answer.txt", "news", "question"),
        SHADOW("shadow.txt", "news");

        public final String file;
        public final List<String> placeholders;

        Template(String file, String... placeholders) {
            this.file = file;
            this.placeholders = List.of(placeholders);
        }
    }

    /** The letters that label the options, in display order. */
    public static final List<String> LETTERS = List.of("A", "B", "C", "D");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)\\}");
    private final Path dir;
    private final Map<Template, String> text;

    private Prompts(Path dir, Map<Template, String> text) {
        this.dir = dir;
        this.text = text;
    }

    /** The templates in {@code dir}, each checked for its placeholders. */
    public static Prompts load(Path dir) {
        if (!Files.isDirectory(dir)) throw new AbsorbException("Prompt folder " + dir + " does not exist.");
        Map<Template, String> text = new LinkedHashMap<>();
        for (Template t : Template.values()) {
            Path f = dir.resolve(t.file);
            if (!Files.isRegularFile(f)) {
                throw new AbsorbException("Prompt folder " + dir + " has no " + t.file + " (copy data/newnews/prompts and"
                        + " edit it).");
            }
            String s;
            try {
                s = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AbsorbException("Cannot read prompt template " + f + ": " + e.getMessage() + ".");
            }
            check(f, t, s);
            text.put(t, s.endsWith("\n") ? s.substring(0, s.length() - 1) : s);
        }
        return new Prompts(dir, text);
    }

    private static void check(Path f, Template t, String s) {
        Set<String> used = new java.util.LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(s);
        while (m.find()) used.add(m.group(1));
        for (String p : t.placeholders) {
            if (!used.contains(p)) {
                throw new AbsorbException("Prompt template " + f + " lacks the placeholder {" + p + "}; it needs "
                        + describe(t) + ".");
            }
        }
        for (String u : used) {
            if (!t.placeholders.contains(u)) {
                throw new AbsorbException("Prompt template " + f + " has the unknown placeholder {" + u + "}; it takes "
                        + describe(t) + ".");
            }
        }
    }

    private static String describe(Template t) {
        if (t.placeholders.isEmpty()) return "no placeholders";
        return String.join(" and ", t.placeholders.stream().map(p -> "{" + p + "}").toList());
    }

    public Path dir() {
        return dir;
    }

    /** A template with its placeholders filled (each value inserted as it is, never read as a template). */
    public String fill(Template t, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(text.get(t));
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        m.appendTail(out);
        return out.toString();
    }

    public String raw(Template t) {
        return text.get(t);
    }

    /** "A. first\nB. second\n..." for options in display order. */
    public static String lettered(List<String> options) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) lines.add(LETTERS.get(i) + ". " + options.get(i));
        return String.join("\n", lines);
    }

    /** The question with its options lettered in display order (question.txt). */
    public String question(String question, List<String> displayed) {
        return fill(Template.QUESTION, Map.of("question", question, "options", lettered(displayed)));
    }

    /** A user turn under the system prompt (none when system.txt is empty). */
    public Prompt chat(String user) {
        List<Message> messages = new ArrayList<>();
        if (!raw(Template.SYSTEM).isBlank()) messages.add(Message.system(raw(Template.SYSTEM).strip()));
        messages.add(Message.user(user));
        return Prompt.chat(messages);
    }

    /** A conversation: the system prompt, a user turn and the assistant's answer (a training example). */
    public List<Message> exchange(String user, String assistant) {
        List<Message> messages = new ArrayList<>(chat(user).messages());
        messages.add(Message.assistant(assistant));
        return messages;
    }
}
