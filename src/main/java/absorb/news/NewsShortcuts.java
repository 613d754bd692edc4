package absorb.news;

import absorb.news.NewsItem.Question;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Option-only shortcuts of a New News file: how far a question's four options alone point to the key. The definitions
 * are those of {@code tools/newnews_shortcuts.py}, the independent reference (README.md states them in brief):
 *
 * <ul>
 *   <li>A question is <em>numeric</em> when its four options are dates ({@code 6 June 2027}, {@code June 2027},
 *       {@code June 6}; counted in days), clock times ({@code 15:35}; in minutes), or all prefix + one number + suffix
 *       with one prefix and suffix ({@code 12 minutes}, {@code $1.10}), and the four values are distinct.
 *   <li>The key's <em>rank</em> is its place (1-4) among the four values, smallest first.
 *   <li>A heuristic picks options; ties share the credit (1/k each); where it does not apply it guesses (0.25). Its
 *       accuracy is over all of a domain's questions. The heuristics are named in {@link #HEURISTICS}.
 *   <li>A <em>shared value</em> is a number in the options of three or more questions of one item, other than the
 *       integers -10 to 10.
 * </ul>
 */
public final class NewsShortcuts {
    /** longest: the most characters; middle: the rank-2 and rank-3 options; most_related: related to the most others
     *  (see {@link #related}); middle_most_related: of the middle two, the one(s) related to more others;
     *  consecutive_middle: the middle of three consecutive integers; overlap_question / overlap_news: the most words
     *  shared with the question / the news; recoverable: a sum, difference, product, quotient or mean of two others,
     *  or the sum of all three. */
    public static final List<String> HEURISTICS = List.of("longest", "middle", "most_related", "middle_most_related",
            "consecutive_middle", "overlap_question", "overlap_news", "recoverable");
    /** The score of a uniform guess among four options. */
    public static final double CHANCE = 0.25;
    /** A shared value is in the options of at least this many questions of an item ... */
    static final int SHARED_QUESTIONS = 3;
    /** ... and is not an integer of at most this size (small counts recur by nature). */
    static final int SMALL_INTEGER = 10;

    private static final List<String> MONTHS = List.of("january", "february", "march", "april", "may", "june", "july",
            "august", "september", "october", "november", "december");
    // Python's \d is any Unicode decimal digit; so is Java's with UNICODE_CHARACTER_CLASS
    private static final int DIGITS = Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern NUMBER = Pattern.compile("[-\u2212]?\\d[\\d,]*(?:\\.\\d+)?", DIGITS);
    private static final Pattern WORD = Pattern.compile("[a-z0-9]+");
    private static final Pattern CLOCK = Pattern.compile("(\\d{1,2}):(\\d{2})", DIGITS);
    private static final Pattern DAY_MONTH_YEAR = Pattern.compile("(\\d{1,2}) ([a-z]+) (\\d{4})", DIGITS);
    private static final Pattern MONTH_DAY_YEAR = Pattern.compile("([a-z]+) (\\d{1,2}) (\\d{4})", DIGITS);
    private static final Pattern MONTH_YEAR = Pattern.compile("([a-z]+) (\\d{4})", DIGITS);
    private static final Pattern DAY_MONTH = Pattern.compile("(\\d{1,2}) ([a-z]+)", DIGITS);
    private static final Pattern MONTH_DAY = Pattern.compile("([a-z]+) (\\d{1,2})", DIGITS);
    /** The year of a date written without one. */
    private static final int NO_YEAR = 2000;
    /** LocalDate's epoch day of 1 January of year 1 is -719162; the day count starts there at 1 (Python's ordinal). */
    private static final long ORDINAL_OFFSET = 719163;

    /** A number in the options of three or more of an item's questions, and the questions whose key holds it. */
    public record SharedValue(String item, String value, List<String> questions, List<String> keyedIn) {
        /** For reading: {@code math-12: 18 in the options of q1, q2, q5; the key of q2}. */
        public String describe() {
            return item + ": " + value + " in the options of " + local(questions) + "; the key of "
                    + (keyedIn.isEmpty() ? "none" : local(keyedIn));
        }

        /** Question ids without their item's prefix. */
        private String local(List<String> ids) {
            String prefix = item + "-";
            return String.join(", ", ids.stream().map(id -> id.startsWith(prefix) ? id.substring(prefix.length()) : id)
                    .toList());
        }
    }

    /**
     * One domain's figures: its questions, the numeric ones and their keys' ranks (counts of rank 1-4), each
     * heuristic's accuracy over all the questions and the number of questions it applies to, and the shared values.
     */
    public record Figures(String domain, int questions, int numeric, List<Integer> keyRanks,
            Map<String, Double> accuracy, Map<String, Integer> applies, List<SharedValue> sharedValues) {
        /** The share of numeric questions whose key has rank {@code rank} (1-4); 0 without numeric questions. */
        public double rankShare(int rank) {
            return numeric == 0 ? 0 : keyRanks.get(rank - 1) / (double) numeric;
        }
    }

    private NewsShortcuts() {}

    /** The figures of each domain, in the order the domains first appear. */
    public static List<Figures> measure(List<NewsItem> items) {
        Map<String, List<NewsItem>> byDomain = new LinkedHashMap<>();
        for (NewsItem item : items) byDomain.computeIfAbsent(item.domain(), d -> new ArrayList<>()).add(item);
        List<Figures> out = new ArrayList<>();
        byDomain.forEach((domain, its) -> out.add(figures(domain, its)));
        return out;
    }

    static Figures figures(String domain, List<NewsItem> items) {
        int questions = 0, numeric = 0;
        int[] ranks = new int[NewsValidator.OPTIONS];
        Map<String, Double> score = new LinkedHashMap<>();
        Map<String, Integer> applies = new LinkedHashMap<>();
        for (String h : HEURISTICS) {
            score.put(h, 0.0);
            applies.put(h, 0);
        }
        List<SharedValue> shared = new ArrayList<>();
        for (NewsItem item : items) {
            shared.addAll(sharedValues(item));
            for (Question q : item.questions()) {
                questions++;
                List<Rational> v = values(q.options());
                if (v != null) {
                    numeric++;
                    ranks[keyRank(v, q.answer()) - 1]++;
                }
                Map<String, List<Integer>> picked = picks(q, item.news());
                for (String h : HEURISTICS) {
                    score.merge(h, credit(picked.get(h), q.answer()), Double::sum);
                    if (!picked.get(h).isEmpty()) applies.merge(h, 1, Integer::sum);
                }
            }
        }
        int n = questions;
        score.replaceAll((h, s) -> s / n);
        return new Figures(domain, questions, numeric, IntStream.of(ranks).boxed().toList(), score, applies, shared);
    }

    /** Expected score of picking uniformly among {@code picked}: 1/k when the key is one of k, a guess when none. */
    static double credit(List<Integer> picked, int key) {
        if (picked.isEmpty()) return CHANCE;
        return picked.contains(key) ? 1.0 / picked.size() : 0;
    }

    /** The options each heuristic picks for {@code q} (empty where it does not apply). */
    static Map<String, List<Integer>> picks(Question q, String news) {
        List<String> opts = q.options();
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        HEURISTICS.forEach(h -> out.put(h, List.of()));
        List<Integer> all = List.of(0, 1, 2, 3);
        out.put("longest", argmax(all, i -> opts.get(i).codePointCount(0, opts.get(i).length())));
        out.put("overlap_question", mostOverlap(opts, words(q.question())));
        out.put("overlap_news", mostOverlap(opts, words(news)));
        List<Rational> v = values(opts);
        if (v == null) return out;
        List<Integer> order = IntStream.range(0, 4).boxed().sorted((i, j) -> v.get(i).compareTo(v.get(j))).toList();
        List<Integer> middle = List.of(order.get(1), order.get(2));
        IntUnaryOperator rel = i -> (int) IntStream.range(0, 4).filter(j -> j != i && related(v.get(i), v.get(j))).count();
        out.put("middle", middle);
        List<Integer> best = argmax(all, rel);
        out.put("most_related", rel.applyAsInt(best.get(0)) == 0 ? List.of() : best);
        out.put("middle_most_related", argmax(middle, rel));
        out.put("consecutive_middle", consecutiveMiddle(v));
        out.put("recoverable", all.stream().filter(i -> recoverable(v.get(i), others(v, i))).toList());
        return out;
    }

    /** The key's place (1-4) among a numeric question's values, smallest first. */
    static int keyRank(List<Rational> values, int key) {
        return 1 + (int) values.stream().filter(x -> x.compareTo(values.get(key)) < 0).count();
    }

    /**
     * The options' values when the question is numeric (dates in days, clock times in minutes, otherwise the one number
     * of options that share prefix and suffix), else null.
     */
    static List<Rational> values(List<String> options) {
        for (boolean dates : new boolean[] {true, false}) {
            List<Long> parsed = parseAll(options, dates);
            if (parsed == null) continue;
            return new HashSet<>(parsed).size() == 4 ? parsed.stream().map(Rational::of).toList() : null;
        }
        Set<List<String>> shapes = new HashSet<>();
        List<Rational> v = new ArrayList<>();
        for (String o : options) {
            List<String> found = numbers(o);
            if (found.size() != 1) return null;
            Matcher m = NUMBER.matcher(o);
            m.find();
            shapes.add(List.of(o.substring(0, m.start()), o.substring(m.end())));
            v.add(number(found.get(0)));
        }
        return shapes.size() == 1 && new HashSet<>(v).size() == 4 ? v : null;
    }

    /** Every option as a date ({@code dates}) or a clock time, or null when one is not. */
    private static List<Long> parseAll(List<String> options, boolean dates) {
        List<Long> out = new ArrayList<>();
        for (String o : options) {
            Long x = dates ? dateValue(o) : timeValue(o);
            if (x == null) return null;
            out.add(x);
        }
        return out;
    }

    /** A date as a day count (1 January of year 1 is day 1); a day past the month's end runs on into the next. */
    static Long dateValue(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT).replace(",", "");
        Matcher m;
        if ((m = DAY_MONTH_YEAR.matcher(t)).matches()) return day(m.group(3), m.group(2), m.group(1));
        if ((m = MONTH_DAY_YEAR.matcher(t)).matches()) return day(m.group(3), m.group(1), m.group(2));
        if ((m = MONTH_YEAR.matcher(t)).matches()) return day(m.group(2), m.group(1), "1");
        if ((m = DAY_MONTH.matcher(t)).matches()) return day(null, m.group(2), m.group(1));
        if ((m = MONTH_DAY.matcher(t)).matches()) return day(null, m.group(1), m.group(2));
        return null;
    }

    private static Long day(String year, String month, String day) {
        int mon = MONTHS.indexOf(month) + 1;
        if (mon == 0) return null;
        LocalDate first = LocalDate.of(year == null ? NO_YEAR : Integer.parseInt(year), mon, 1);
        return first.plusDays(Integer.parseInt(day) - 1).toEpochDay() + ORDINAL_OFFSET;
    }

    /** A clock time {@code h:mm} in minutes. */
    static Long timeValue(String s) {
        Matcher m = CLOCK.matcher(s.strip());
        return m.matches() ? Integer.parseInt(m.group(1)) * 60L + Integer.parseInt(m.group(2)) : null;
    }

    /**
     * Two values are related when one is twice, half, ten times or a tenth of the other, its negative, or differs from
     * it by exactly 1.
     */
    static boolean related(Rational a, Rational b) {
        if (a.equals(b)) return false;
        if (a.equals(b.negate()) || a.minus(b).abs().equals(Rational.ONE)) return true;
        if (a.isZero() || b.isZero()) return false;
        Rational q = b.dividedBy(a);
        return q.equals(Rational.TWO) || q.equals(Rational.HALF) || q.equals(Rational.TEN) || q.equals(Rational.TENTH);
    }

    /** {@code v} is a sum, difference, product, quotient or mean of two of {@code others}, or the sum of all three. */
    static boolean recoverable(Rational v, List<Rational> others) {
        for (int i = 0; i < others.size(); i++) {
            for (int j = i + 1; j < others.size(); j++) {
                Rational x = others.get(i), y = others.get(j);
                Set<Rational> made = new HashSet<>(List.of(x.plus(y), x.minus(y), y.minus(x), x.times(y),
                        x.plus(y).dividedBy(Rational.TWO)));
                if (!y.isZero()) made.add(x.dividedBy(y));
                if (!x.isZero()) made.add(y.dividedBy(x));
                if (made.contains(v)) return true;
            }
        }
        return v.equals(others.stream().reduce(Rational.ZERO, Rational::plus));
    }

    /** Where three values are consecutive integers, the one in the middle (the first such option). */
    private static List<Integer> consecutiveMiddle(List<Rational> v) {
        List<Rational> ints = v.stream().filter(Rational::isInteger).toList();
        for (int x = 0; x < 4; x++) {
            Rational c = v.get(x);
            if (c.isInteger() && ints.contains(c.plus(Rational.ONE)) && ints.contains(c.minus(Rational.ONE))) {
                return List.of(x);
            }
        }
        return List.of();
    }

    private static List<Rational> others(List<Rational> v, int i) {
        return IntStream.range(0, v.size()).filter(j -> j != i).mapToObj(v::get).toList();
    }

    /** The option(s) sharing most words with {@code ref}; none when no option shares any. */
    private static List<Integer> mostOverlap(List<String> opts, Set<String> ref) {
        IntUnaryOperator shared = i -> (int) words(opts.get(i)).stream().filter(ref::contains).count();
        List<Integer> best = argmax(List.of(0, 1, 2, 3), shared);
        return shared.applyAsInt(best.get(0)) == 0 ? List.of() : best;
    }

    private static List<Integer> argmax(List<Integer> indices, IntUnaryOperator score) {
        int best = indices.stream().mapToInt(score::applyAsInt).max().orElseThrow();
        return indices.stream().filter(i -> score.applyAsInt(i) == best).toList();
    }

    /** The words of a text: lower case runs of letters a-z and digits. */
    static Set<String> words(String text) {
        Set<String> out = new HashSet<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) out.add(m.group());
        return out;
    }

    /** The numbers written in a text ({@code -3}, {@code 1,250}, {@code 2.5}, with a minus sign or a hyphen). */
    private static List<String> numbers(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static Rational number(String text) {
        return Rational.of(new BigDecimal(text.replace(",", "").replace('\u2212', '-')));
    }

    /** The values in the options of three or more of the item's questions, smallest first, but the small integers. */
    static List<SharedValue> sharedValues(NewsItem item) {
        Map<Rational, List<String>> seen = new TreeMap<>();
        for (Question q : item.questions()) {
            Set<Rational> found = new LinkedHashSet<>();
            for (String o : q.options()) numbers(o).forEach(n -> found.add(number(n)));
            for (Rational v : found) seen.computeIfAbsent(v, x -> new ArrayList<>()).add(q.id());
        }
        List<SharedValue> flags = new ArrayList<>();
        Rational small = Rational.of(SMALL_INTEGER);
        seen.forEach((v, qids) -> {
            if (qids.size() < SHARED_QUESTIONS || v.isInteger() && v.abs().compareTo(small) <= 0) return;
            List<String> keyed = item.questions().stream()
                    .filter(q -> numbers(q.correctOption()).stream().anyMatch(n -> number(n).equals(v)))
                    .map(Question::id).toList();
            flags.add(new SharedValue(item.id(), v.toString(), List.copyOf(qids), keyed));
        });
        return flags;
    }
}
