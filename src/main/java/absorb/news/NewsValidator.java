package absorb.news;

import absorb.AbsorbException;
import absorb.io.JsonFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a New News file line by line and reports every problem with the id (or line) it concerns: the schema,
 * unique ids, four distinct non-empty options, the answer index, no option repeating its question; for the full
 * benchmark also 15 items per domain, 5 questions per item, and answer positions balanced with the correct option
 * not systematically the longest.
 */
public final class NewsValidator {
    public static final List<String> DOMAINS = List.of("math", "coding", "discoveries", "leaderboards", "events");
    public static final int ITEMS_PER_DOMAIN = 15;
    public static final int QUESTIONS_PER_ITEM = 5;
    public static final int OPTIONS = 4;
    /** The full benchmark's keyed positions may each differ from an even share by at most this many. */
    static final int POSITION_SLACK = 3;
    /** ... and the correct option may be the strictly longest in at most this share of questions. */
    static final double LONGEST_SHARE = 0.35;

    private static final Set<String> ITEM_KEYS = Set.of("id", "domain", "title", "news", "questions");
    private static final Set<String> QUESTION_KEYS = Set.of("id", "question", "options", "answer", "rationale");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a check found: the problems, and the statistics the full benchmark is held to. */
    public record Report(List<String> problems, int items, int questions, Map<String, Integer> perDomain,
            int[] answerPositions, int correctIsLongest) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private NewsValidator() {}

    public static Report validate(Path file, boolean fullBenchmark) {
        return validate(file, fullBenchmark, false);
    }

    /** As above; with {@code anyDomain} a set may name its own domains (control questions, a toy world's news). */
    public static Report validate(Path file, boolean fullBenchmark, boolean anyDomain) {
        if (!Files.isRegularFile(file)) throw new AbsorbException("New News file " + file + " does not exist.");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new AbsorbException("New News file " + file + " is not UTF-8 text.");
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
        List<String> problems = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Map<String, Integer> perDomain = new LinkedHashMap<>();
        DOMAINS.forEach(d -> perDomain.put(d, 0));
        int[] positions = new int[OPTIONS];
        int items = 0, questions = 0, longest = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            String where = "line " + (i + 1);
            JsonNode item;
            try {
                item = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                problems.add(where + ": not valid JSON " + JsonFiles.syntaxError(e, false));
                continue;
            }
            if (!item.isObject()) {
                problems.add(where + ": not a JSON object");
                continue;
            }
            items++;
            String id = text(item, "id");
            if (id != null) where = id;
            for (String key : ITEM_KEYS) if (!item.has(key)) problems.add(where + ": missing key " + key);
            String itemWhere = where;
            item.fieldNames().forEachRemaining(k -> {
                if (!ITEM_KEYS.contains(k)) problems.add(itemWhere + ": unknown key " + k);
            });
            if (id != null && !ids.add(id)) problems.add(where + ": duplicate id");
            for (String key : List.of("id", "domain", "title", "news")) {
                if (item.has(key) && blank(item.get(key))) problems.add(where + ": " + key + " must be a non-empty string");
            }
            String domain = text(item, "domain");
            if (domain != null) {
                if (!DOMAINS.contains(domain) && !anyDomain) {
                    problems.add(where + ": domain " + domain + " is not one of " + String.join(", ", DOMAINS));
                } else {
                    perDomain.merge(domain, 1, Integer::sum);
                }
            }
            JsonNode qs = item.get("questions");
            if (qs == null) continue;
            if (!qs.isArray() || qs.isEmpty()) {
                problems.add(where + ": questions must be a non-empty list");
                continue;
            }
            if (fullBenchmark && qs.size() != QUESTIONS_PER_ITEM) {
                problems.add(where + ": has " + qs.size() + " questions; the benchmark has " + QUESTIONS_PER_ITEM + " per item");
            }
            for (int k = 0; k < qs.size(); k++) {
                questions++;
                JsonNode q = qs.get(k);
                String qwhere = where + " question " + (k + 1);
                if (!q.isObject()) {
                    problems.add(qwhere + ": not a JSON object");
                    continue;
                }
                String qid = text(q, "id");
                if (qid != null) {
                    qwhere = qid;
                    if (!ids.add(qid)) problems.add(qwhere + ": duplicate id");
                    if (id != null && !qid.startsWith(id + "-")) problems.add(qwhere + ": id does not start with " + id + "-");
                }
                for (String key : QUESTION_KEYS) if (!q.has(key)) problems.add(qwhere + ": missing key " + key);
                String qw = qwhere;
                q.fieldNames().forEachRemaining(f -> {
                    if (!QUESTION_KEYS.contains(f)) problems.add(qw + ": unknown key " + f);
                });
                for (String key : List.of("id", "question", "rationale")) {
                    if (q.has(key) && blank(q.get(key))) problems.add(qwhere + ": " + key + " must be a non-empty string");
                }
                int answer = -1;
                JsonNode a = q.get("answer");
                if (a != null) {
                    if (!a.isIntegralNumber() || a.asInt() < 0 || a.asInt() >= OPTIONS) {
                        problems.add(qwhere + ": answer must be an integer from 0 to " + (OPTIONS - 1) + ", not " + a);
                    } else {
                        answer = a.asInt();
                    }
                }
                JsonNode opts = q.get("options");
                if (opts == null) continue;
                if (!opts.isArray() || opts.size() != OPTIONS) {
                    problems.add(qwhere + ": options must be a list of " + OPTIONS + " strings");
                    continue;
                }
                List<String> options = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                String question = q.path("question").asText("");
                for (JsonNode o : opts) {
                    if (blank(o)) {
                        problems.add(qwhere + ": an option is empty or not a string");
                        continue;
                    }
                    String opt = o.asText();
                    options.add(opt);
                    if (!seen.add(normal(opt))) problems.add(qwhere + ": option \"" + opt + "\" appears twice");
                    if (normal(opt).equals(normal(question))) problems.add(qwhere + ": an option repeats the question");
                }
                if (answer >= 0 && options.size() == OPTIONS) {
                    positions[answer]++;
                    if (strictlyLongest(options, answer)) longest++;
                }
            }
        }
        if (items == 0) problems.add(file + ": no items");
        if (fullBenchmark) {
            for (Map.Entry<String, Integer> d : perDomain.entrySet()) {
                if (d.getValue() != ITEMS_PER_DOMAIN) {
                    problems.add("domain " + d.getKey() + ": has " + d.getValue() + " items; the benchmark has "
                            + ITEMS_PER_DOMAIN);
                }
            }
            double even = questions / (double) OPTIONS;
            for (int p = 0; p < OPTIONS; p++) {
                if (Math.abs(positions[p] - even) > POSITION_SLACK) {
                    problems.add(String.format(Locale.ROOT, "answer balance: option %c is correct %d times; an even share"
                            + " is %.1f", (char) ('A' + p), positions[p], even));
                }
            }
            if (questions > 0 && longest > LONGEST_SHARE * questions) {
                problems.add(String.format(Locale.ROOT, "answer balance: the correct option is the longest in %d of %d"
                        + " questions (at most %.0f%% allowed)", longest, questions, 100 * LONGEST_SHARE));
            }
        }
        return new Report(problems, items, questions, perDomain, positions, longest);
    }

    static boolean strictlyLongest(List<String> options, int answer) {
        int len = options.get(answer).length();
        for (int i = 0; i < options.size(); i++) if (i != answer && options.get(i).length() >= len) return false;
        return true;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
    }

    private static boolean blank(JsonNode n) {
        return n == null || !n.isTextual() || n.asText().isBlank();
    }

    private static String normal(String s) {
        return s.strip().toLowerCase(Locale.ROOT);
    }
}
