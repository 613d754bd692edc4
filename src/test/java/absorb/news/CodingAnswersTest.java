package absorb.news;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Recomputes every answer of the coding domain: each test implements the new feature described by the news
 * item in Java and derives what the question's snippet prints.
 */
class CodingAnswersTest {
    private static final AnswerCheck answers = AnswerCheck.forBundledSet();

    /**
     * For a question that asks which option satisfies the rule: the option texts with the inputs they stand for.
     * Asserts that exactly one candidate satisfies it and returns that option's text.
     */
    static <T> String onlyOption(String id, Map<String, T> candidates, java.util.function.Predicate<T> rule) {
        List<String> ok = candidates.entrySet().stream().filter(e -> rule.test(e.getValue())).map(Map.Entry::getKey)
                .collect(Collectors.toList());
        org.junit.jupiter.api.Assertions.assertEquals(1, ok.size(), id + ": options satisfying the rule: " + ok);
        return ok.get(0);
    }

    /** An insertion-ordered map from option text to the input it stands for. */
    @SafeVarargs
    static <T> Map<String, T> options(Map.Entry<String, T>... entries) {
        Map<String, T> out = new LinkedHashMap<>();
        for (Map.Entry<String, T> e : entries) out.put(e.getKey(), e.getValue());
        org.junit.jupiter.api.Assertions.assertEquals(4, out.size());
        return out;
    }

    // ---------------------------------------------------------------- coding-01: Python str.rotate(n)

    /** Moves the first n characters to the end; n is reduced modulo the length (Python's sign rule). */
    static String rotate(String s, int n) {
        if (s.isEmpty()) return "";
        int k = Math.floorMod(n, s.length());
        return s.substring(k) + s.substring(0, k);
    }

    @Test void coding01_strRotate() {
        answers.check("coding-01-q1", rotate("python", 2));
        answers.check("coding-01-q2", rotate("python", -2).indexOf('y'));
        answers.check("coding-01-q3", rotate("hello", 12));
        answers.check("coding-01-q4", onlyOption("coding-01-q4", options(
                Map.entry("\"abcdef\".rotate(2)", 2), Map.entry("\"abcdef\".rotate(-2)", -2),
                Map.entry("\"abcdef\".rotate(3)", 3), Map.entry("\"abcdef\".rotate(-1)", -1)),
                n -> rotate("abcdef", n).equals("efabcd")));
        answers.check("coding-01-q5", Arrays.stream("one two three".split(" "))
                .map(w -> rotate(w, 1)).collect(Collectors.joining(" ")));
    }

    // ---------------------------------------------------------------- coding-02: Array.prototype.dedupe

    /** SameValueZero key: NaN equals NaN (Double.equals already does), -0 equals 0. */
    static Object sameValueZeroKey(Object v) {
        if (v instanceof Double d && d == 0.0) return 0.0;
        return v;
    }

    /** Keeps the last occurrence of each key, in the order of those last occurrences. */
    static <T> List<T> dedupe(List<T> arr, Function<T, Object> keyFn) {
        Map<Object, Integer> last = new HashMap<>();
        for (int i = 0; i < arr.size(); i++) last.put(sameValueZeroKey(keyFn.apply(arr.get(i))), i);
        List<T> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            if (last.get(sameValueZeroKey(keyFn.apply(arr.get(i)))) == i) out.add(arr.get(i));
        }
        return out;
    }

    static <T> List<T> dedupe(List<T> arr) {
        return dedupe(arr, x -> x);
    }

    /** JavaScript's String(value) for the numbers and strings used here. */
    static String js(Object v) {
        if (v instanceof Double d) {
            if (d.isNaN()) return "NaN";
            if (d == Math.rint(d) && !d.isInfinite()) return Long.toString(d.longValue());
            return d.toString();
        }
        return String.valueOf(v);
    }

    static String jsJoin(List<?> arr, String sep) {
        return arr.stream().map(CodingAnswersTest::js).collect(Collectors.joining(sep));
    }

    static List<Object> nums(double... xs) {
        List<Object> out = new ArrayList<>();
        for (double x : xs) out.add(x);
        return out;
    }

    @Test void coding02_arrayDedupe() {
        answers.check("coding-02-q1", jsJoin(dedupe(nums(3, 1, 3, 2, 1)), ","));
        answers.check("coding-02-q2", js(dedupe(List.of("a", "b", "a", "c", "b")).get(1)));
        answers.check("coding-02-q3", jsJoin(dedupe(List.of("apple", "avocado", "banana", "blueberry", "cherry"),
                w -> w.charAt(0)), " "));
        answers.check("coding-02-q4", onlyOption("coding-02-q4", options(
                Map.entry("[\"b\", \"c\", \"a\", \"b\"]", List.of("b", "c", "a", "b")),
                Map.entry("[\"b\", \"a\", \"c\", \"b\"]", List.of("b", "a", "c", "b")),
                Map.entry("[\"a\", \"b\", \"c\", \"a\"]", List.of("a", "b", "c", "a")),
                Map.entry("[\"a\", \"b\", \"a\", \"c\"]", List.of("a", "b", "a", "c"))),
                arr -> jsJoin(dedupe(arr), "").equals("bca")));
        answers.check("coding-02-q5", jsJoin(dedupe(nums(5, Double.NaN, 7, Double.NaN, 5)), " "));
    }

    // ---------------------------------------------------------------- coding-03: Rust div_round

    /** Quotient rounded to nearest, ties to even. */
    static long divRound(long a, long b) {
        return new BigDecimal(a).divide(new BigDecimal(b), 0, RoundingMode.HALF_EVEN).longValueExact();
    }

    @Test void coding03_divRound() {
        answers.check("coding-03-q1", IntStream.range(0, 10).filter(a -> divRound(a, 2) % 2 == 0).count());
        answers.check("coding-03-q2", divRound(-9, 2) + " " + divRound(-7, 2));
        answers.check("coding-03-q3", IntStream.of(6, 10, 14).mapToObj(x -> Long.toString(divRound(x, 4)))
                .collect(Collectors.joining(", ", "[", "]"))); // Rust {:?} of an array
        answers.check("coding-03-q4", IntStream.of(1, 5, 3).mapToLong(x -> divRound(x, 2)).sum());
        answers.check("coding-03-q5", divRound(15, 10) + " " + divRound(25, 10));
    }

    // ---------------------------------------------------------------- coding-04: Go strings.Center

    /** Pads to width runes; the odd extra pad rune goes on the left. */
    static String center(String s, int width, int pad) {
        int n = s.codePointCount(0, s.length());
        if (width <= n) return s;
        int total = width - n;
        int left = (total + 1) / 2;
        int right = total / 2;
        String p = new String(Character.toChars(pad));
        return p.repeat(left) + s + p.repeat(right);
    }

    @Test void coding04_stringsCenter() {
        answers.check("coding-04-q1", center("hey", 8, '*'));
        answers.check("coding-04-q2", center("\u65e5\u672c\u8a9e", 6, '-')); // 3 runes, 9 bytes in UTF-8
        answers.check("coding-04-q3", center("abc", 6, '.'));
        String c4 = center("\u65e5\u672c\u8a9e", 8, '.');
        // Go's strings.Index returns a byte offset in UTF-8
        answers.check("coding-04-q4", c4.substring(0, c4.indexOf("\u8a9e")).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        answers.check("coding-04-q5", center(center("a", 4, '<'), 6, '>'));
    }

    // ---------------------------------------------------------------- coding-05: PostgreSQL LIMIT n PER col

    record Row(String team, int pts) {}

    static Row row(String team, int pts) {
        return new Row(team, pts);
    }

    /** First n rows per team in ORDER BY order, plus rows tying with each group's n-th row; overall order kept. */
    static List<Row> limitPer(List<Row> table, Comparator<Row> orderBy, int n) {
        List<Row> sorted = new ArrayList<>(table);
        sorted.sort(orderBy);
        Map<String, List<Row>> groups = new HashMap<>(); // NULL team is one group (null key)
        for (Row r : sorted) groups.computeIfAbsent(r.team(), k -> new ArrayList<>()).add(r);
        Set<Row> keptIdentity = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (List<Row> g : groups.values()) {
            for (int i = 0; i < g.size(); i++) {
                if (i < n || orderBy.compare(g.get(i), g.get(n - 1)) == 0) keptIdentity.add(g.get(i));
            }
        }
        return sorted.stream().filter(keptIdentity::contains).collect(Collectors.toList());
    }

    @Test void coding05_limitPer() {
        Comparator<Row> desc = Comparator.comparingInt(Row::pts).reversed();
        Comparator<Row> asc = Comparator.comparingInt(Row::pts);
        List<Row> t1 = List.of(row("A", 30), row("A", 25), row("A", 25), row("B", 40), row("B", 10), row("C", 20));
        answers.check("coding-05-q1", limitPer(t1, desc, 2).size());
        List<Row> t2 = List.of(row("A", 30), row("A", 25), row("A", 25), row("A", 20), row("B", 40), row("B", 10),
                row("B", 5));
        answers.check("coding-05-q2", limitPer(t2, desc, 2).stream()
                .map(r -> Integer.toString(r.pts())).collect(Collectors.joining(", ")));
        List<Row> t3 = List.of(row("A", 5), row("A", 5), row("A", 9), row("B", 7), row("B", 4));
        answers.check("coding-05-q3", limitPer(t3, asc, 1).stream().mapToLong(Row::pts).sum());
        List<Row> t4 = List.of(row("A", 3), row("A", 1), row(null, 6), row(null, 6), row(null, 4), row(null, 1),
                row("B", 2), row("B", 2));
        answers.check("coding-05-q4", limitPer(t4, desc, 1).size());
        List<Row> t5 = List.of(row("A", 9), row("A", 7), row("A", 7), row("B", 8), row("B", 1), row("B", 0));
        List<Row> r5 = limitPer(t5, desc, 2);
        // rows that tie in sort order must share the team, or the team sequence would not be determined
        for (int i = 1; i < r5.size(); i++) {
            assertFalse(desc.compare(r5.get(i - 1), r5.get(i)) == 0 && !r5.get(i - 1).team().equals(r5.get(i).team()));
        }
        answers.check("coding-05-q5", r5.stream().map(Row::team).collect(Collectors.joining(", ")));
    }

    // ---------------------------------------------------------------- coding-06: pandas Series.streak

    /**
     * Run length ending at each element; a missing value (null) gets 0 and ends the run, so the next value starts a
     * new run at 1 even when it equals the value before the gap.
     */
    static List<Integer> streak(List<Object> values) {
        List<Integer> out = new ArrayList<>();
        Object last = null;
        int run = 0;
        for (Object v : values) {
            if (v == null) {
                out.add(0);
                last = null;
                run = 0;
                continue;
            }
            run = v.equals(last) ? run + 1 : 1;
            last = v;
            out.add(run);
        }
        return out;
    }

    static List<Object> objs(Object... xs) {
        return Arrays.asList(xs);
    }

    /** Python repr of a list of ints. */
    static String pyList(List<?> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }

    @Test void coding06_seriesStreak() {
        answers.check("coding-06-q1", pyList(streak(objs(4.0, 4.0, null, 4.0, 7.0, 7.0))));
        answers.check("coding-06-q2", streak(objs("a", "a", null, "a", "b")).stream()
                .mapToLong(Integer::longValue).sum());
        answers.check("coding-06-q3", pyList(streak(objs(2.0, null, 2.0, 3.0, null, 3.0))));
        answers.check("coding-06-q4", streak(objs(0.5, 0.5, null, null, 0.5, 0.7)).stream()
                .mapToInt(Integer::intValue).max().getAsInt());
        List<Integer> index = List.of(10, 20, 30, 40);
        answers.check("coding-06-q5", streak(objs(9.0, null, 9.0, 9.0)).get(index.indexOf(40)));
    }

    // ---------------------------------------------------------------- coding-07: head --every=N

    /** Lines N, 2N, 3N, ...; stops after printing count lines. */
    static List<String> headEvery(List<String> lines, int every, int count) {
        List<String> out = new ArrayList<>();
        for (int i = every - 1; i < lines.size() && out.size() < count; i += every) out.add(lines.get(i));
        return out;
    }

    static List<String> seq(int first, int step, int last) {
        List<String> out = new ArrayList<>();
        for (int i = first; step > 0 ? i <= last : i >= last; i += step) out.add(Integer.toString(i));
        return out;
    }

    static String lastOf(List<String> xs) {
        return xs.get(xs.size() - 1);
    }

    @Test void coding07_headEvery() {
        answers.check("coding-07-q1", lastOf(headEvery(seq(20, -1, 1), 3, 5)));
        answers.check("coding-07-q2", lastOf(headEvery(seq(1, 1, 50), 4, 10)));
        answers.check("coding-07-q3", String.join(" ", headEvery(seq(5, 5, 60), 2, 3)));
        answers.check("coding-07-q4", headEvery(seq(1, 1, 28), 7, 10).stream().mapToLong(Long::parseLong).sum());
        answers.check("coding-07-q5", String.join("", headEvery(List.of("a", "b", "c", "d", "e", "f"), 2, 2)));
    }

    // ---------------------------------------------------------------- coding-08: Python format type 'k'

    private static final String[] SI = {"", "k", "M", "G", "T", "P"};

    /** p significant digits (half-even, zeros kept) after dividing by the largest power of 1000 <= |v|. */
    static String formatK(BigDecimal v, int p) {
        BigDecimal thousand = BigDecimal.valueOf(1000);
        int e = 0;
        while (e < 5 && v.abs().compareTo(thousand.pow(e + 1)) >= 0) e++;
        BigDecimal m = v.divide(thousand.pow(e)).round(new MathContext(p, RoundingMode.HALF_EVEN));
        if (e < 5 && m.abs().compareTo(thousand) >= 0) { // rounding reached 1000: next prefix
            e++;
            m = v.divide(thousand.pow(e)).round(new MathContext(p, RoundingMode.HALF_EVEN));
        }
        int mag = m.precision() - m.scale() - 1; // floor(log10 |m|)
        return m.setScale(p - 1 - mag).toPlainString() + SI[e];
    }

    static String formatK(long v, int p) {
        return formatK(BigDecimal.valueOf(v), p);
    }

    @Test void coding08_formatK() {
        answers.check("coding-08-q1", formatK(1_500_000, 3));
        answers.check("coding-08-q2", formatK(12_345, 2));
        answers.check("coding-08-q3", formatK(new BigDecimal("0.25"), 3));
        answers.check("coding-08-q4", formatK(-2_500, 1));
        answers.check("coding-08-q5", formatK(7_000_000_000L, 3));
    }

    // ---------------------------------------------------------------- coding-09: Kotlin String.splitKeep

    /** Cuts before each delimiter, which starts the piece after it; no empty first piece. */
    static List<String> splitKeep(String s, char delim) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) == delim) {
                out.add(s.substring(start, i));
                start = i;
            }
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }

    /** Kotlin's List.toString. */
    static String ktList(List<?> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }

    @Test void coding09_splitKeep() {
        answers.check("coding-09-q1", splitKeep("a;b;;c;", ';').stream().filter(p -> p.length() == 1).count());
        answers.check("coding-09-q2", "[" + splitKeep("x;;y", ';').get(1) + "]");
        answers.check("coding-09-q3", String.join("|", splitKeep("10/20/30", '/')));
        answers.check("coding-09-q4", ktList(splitKeep("mississippi", 's').stream().map(String::length)
                .collect(Collectors.toList())));
        // Kotlin's String.split keeps trailing empty strings, as Java's split does with a negative limit
        answers.check("coding-09-q5", splitKeep("a;;b;;", ';').size() - "a;;b;;".split(";", -1).length);
    }

    // ---------------------------------------------------------------- coding-10: Bash ${#name/pattern}

    /** Glob match of a fixed-length pattern ('?' = any one character) at position i. */
    static boolean matchesAt(String s, int i, String pattern) {
        for (int j = 0; j < pattern.length(); j++) {
            char pc = pattern.charAt(j);
            if (pc != '?' && pc != s.charAt(i + j)) return false;
        }
        return true;
    }

    /** Positions at which a match begins (overlapping matches counted); unset/empty value or empty pattern gives 0. */
    static long countMatches(String value, String pattern) {
        if (value == null || value.isEmpty() || pattern.isEmpty()) return 0;
        assertFalse(pattern.contains("*") || pattern.contains("["), "only literal and ? patterns are modelled");
        long count = 0;
        int i = 0;
        while (i + pattern.length() <= value.length()) {
            if (matchesAt(value, i, pattern)) {
                count++;
            }
            i++;
        }
        return count;
    }

    @Test void coding10_bashMatchCount() {
        answers.check("coding-10-q1", onlyOption("coding-10-q1", options(
                Map.entry("ababa", "ababa"), Map.entry("abababa", "abababa"), Map.entry("ababbab", "ababbab"),
                Map.entry("abaab", "abaab")), s -> countMatches(s, "aba") == 2));
        answers.check("coding-10-q2", countMatches("aaaaa", "aa"));
        answers.check("coding-10-q3", countMatches("the cat sat on the mat", "at"));
        answers.check("coding-10-q4", countMatches("assesses", "s?"));
        String s5 = "aXXXb";
        answers.check("coding-10-q5", s5.substring((int) countMatches(s5, "XX"))); // ${s:offset}
    }

    // ---------------------------------------------------------------- coding-11: Haskell Data.List.spread

    /** n contiguous pieces whose lengths differ by at most one, the longer ones first; always n lists. */
    static <T> List<List<T>> spread(int n, List<T> xs) {
        List<List<T>> out = new ArrayList<>();
        int base = xs.size() / n, longer = xs.size() % n, start = 0;
        for (int k = 0; k < n; k++) {
            int len = base + (k < longer ? 1 : 0);
            out.add(new ArrayList<>(xs.subList(start, start + len)));
            start += len;
        }
        return out;
    }

    static List<Integer> range(int from, int to) {
        return IntStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
    }

    static List<Character> chars(String s) {
        return s.chars().mapToObj(c -> (char) c).collect(Collectors.toList());
    }

    /** Haskell show for [Int]. */
    static String hsInts(List<Integer> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }

    @Test void coding11_spread() {
        answers.check("coding-11-q1", spread(3, range(1, 7)).stream().map(CodingAnswersTest::hsInts)
                .collect(Collectors.joining(",", "[", "]")));
        answers.check("coding-11-q2", "\"" + spread(4, chars("abcdefghij")).stream()
                .map(l -> String.valueOf(l.get(l.size() - 1))).collect(Collectors.joining()) + "\""); // show of a String
        answers.check("coding-11-q3", onlyOption("coding-11-q3", options(
                Map.entry("spread 2 [1..5]", List.of(2, 1, 2, 3, 4, 5)),
                Map.entry("spread 2 [1,3,5,2,4]", List.of(2, 1, 3, 5, 2, 4)),
                Map.entry("spread 3 [1..5]", List.of(3, 1, 2, 3, 4, 5)),
                Map.entry("spread 2 [1,2,4,3,5]", List.of(2, 1, 2, 4, 3, 5))), // n, then the list
                c -> spread(c.get(0), c.subList(1, c.size())).toString().replace(" ", "").equals("[[1,3,5],[2,4]]")));
        answers.check("coding-11-q4", hsInts(spread(2, List.of(10, 20, 30, 40, 50)).get(1)));
        answers.check("coding-11-q5", spread(3, range(1, 10)).get(0).stream().mapToLong(Integer::longValue).sum());
    }

    // ---------------------------------------------------------------- coding-12: Python 3.17 dict & and -

    /** Keys in both, in d1's order, with d2's values. */
    static Map<Object, Object> dictAnd(Map<Object, Object> d1, Map<Object, Object> d2) {
        Map<Object, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : d1.entrySet()) {
            if (d2.containsKey(e.getKey())) out.put(e.getKey(), d2.get(e.getKey()));
        }
        return out;
    }

    /** d1's entries whose keys are not in the iterable of keys. */
    static Map<Object, Object> dictMinus(Map<Object, Object> d1, Iterable<?> keys) {
        Set<Object> drop = new HashSet<>();
        keys.forEach(drop::add);
        Map<Object, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : d1.entrySet()) {
            if (!drop.contains(e.getKey())) out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    static Map<Object, Object> dict(Object... kv) {
        Map<Object, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) out.put(kv[i], kv[i + 1]);
        return out;
    }

    static String pyRepr(Object v) {
        if (v instanceof String s) return "'" + s + "'";
        if (v instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> pyRepr(e.getKey()) + ": " + pyRepr(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (v instanceof List<?> l) return l.stream().map(CodingAnswersTest::pyRepr).collect(Collectors.joining(", ", "[", "]"));
        return String.valueOf(v);
    }

    static long sumValues(Map<Object, Object> d) {
        return d.values().stream().mapToLong(x -> ((Integer) x).longValue()).sum();
    }

    @Test void coding12_dictOperators() {
        answers.check("coding-12-q1", pyRepr(dictAnd(dict("x", 1, "y", 2, "z", 3), dict("z", 30, "y", 20, "w", 0))));
        answers.check("coding-12-q2", String.valueOf(new ArrayList<>(dictAnd(dict("k", 1, "m", 2), dict("m", 30, "k", 40))
                .values()).get(0)));
        Map<Object, Object> d = dictAnd(dict(1, "one", 2, "two", 3, "three"), dict(3, "drei", 1, "eins"));
        answers.check("coding-12-q3", pyRepr(new ArrayList<>(d.values())));
        Map<Object, Object> a = dict("p", 1, "q", 2);
        Map<Object, Object> b = dict("q", 5, "r", 7);
        answers.check("coding-12-q4", sumValues(dictAnd(a, b)) + sumValues(dictMinus(a, b.keySet())));
        Map<Object, Object> r5 = dictAnd(dict("a", 1, "b", 2), dict("b", 0));
        answers.check("coding-12-q5", r5.isEmpty() ? "empty" : pyRepr(r5));
    }

    // ---------------------------------------------------------------- coding-13: C# inclusive range patterns

    /** in lo..hi with both ends inclusive; a null bound is omitted. */
    static boolean in(int x, Integer lo, Integer hi) {
        return (lo == null || lo <= x) && (hi == null || x <= hi);
    }

    @Test void coding13_rangePatterns() {
        int x = 5;
        answers.check("coding-13-q1", in(x, 1, 5) ? "low" : in(x, 5, 10) ? "mid" : "high");
        answers.check("coding-13-q2", onlyOption("coding-13-q2", options(
                Map.entry("in 2..6", new int[] {2, 6}), Map.entry("in 3..6", new int[] {3, 6}),
                Map.entry("in 2..5", new int[] {2, 5}), Map.entry("in 3..5", new int[] {3, 5})),
                r -> IntStream.rangeClosed(-100, 100).filter(v -> in(v, r[0], r[1])).boxed().collect(Collectors.toList())
                        .equals(List.of(3, 4, 5))));
        answers.check("coding-13-q3", IntStream.range(0, 20).filter(i -> !in(i, 5, 9)).count());
        IntFunction<String> arm = v -> in(v, null, 3) ? "a" : in(v, 8, null) ? "c" : "b";
        answers.check("coding-13-q4", IntStream.of(0, 3, 7, 12).mapToObj(arm).collect(Collectors.joining()));
        answers.check("coding-13-q5", IntStream.rangeClosed(1, 10).filter(i -> in(i, 3, 6)).asLongStream().sum());
    }

    // ---------------------------------------------------------------- coding-14: PHP str_chunk

    /** Pieces of length counted from the end; only the first may be shorter. */
    static List<String> strChunk(String s, int length) {
        List<String> out = new ArrayList<>();
        if (s.isEmpty()) return out;
        int first = s.length() % length;
        if (first > 0) out.add(s.substring(0, first));
        for (int i = first; i < s.length(); i += length) out.add(s.substring(i, i + length));
        return out;
    }

    static String jsonStrings(List<String> xs) {
        return xs.stream().map(x -> "\"" + x + "\"").collect(Collectors.joining(",", "[", "]"));
    }

    @Test void coding14_strChunk() {
        answers.check("coding-14-q1", String.join("-", strChunk("2345678", 3)));
        answers.check("coding-14-q2", strChunk("9876543210", 4).get(1));
        List<String> p = strChunk("abcdefghij", 4);
        answers.check("coding-14-q3", "" + p.get(0).length() + p.get(1).length());
        answers.check("coding-14-q4", jsonStrings(strChunk("hello", 2)));
        answers.check("coding-14-q5", strChunk("123456", 4).stream()
                .map(x -> new StringBuilder(x).reverse().toString()).collect(Collectors.joining(" ")));
    }

    // ---------------------------------------------------------------- coding-15: NumPy np.ranks

    /** Number of elements strictly smaller (or, descending, strictly larger). */
    static int[] ranks(int[] a, boolean descending) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            for (int v : a) {
                if (descending ? v > a[i] : v < a[i]) out[i]++;
            }
        }
        return out;
    }

    /** NumPy's str() of a 1-D int array: elements right-aligned to a common width. */
    static String npStr(int[] a) {
        int w = Arrays.stream(a).map(v -> Integer.toString(v).length()).max().orElse(0);
        return Arrays.stream(a).mapToObj(v -> String.format("%" + w + "d", v))
                .collect(Collectors.joining(" ", "[", "]"));
    }

    @Test void coding15_ranks() {
        answers.check("coding-15-q1", npStr(ranks(new int[] {5, 5, 1, 9}, false)));
        answers.check("coding-15-q2", npStr(ranks(new int[] {20, 40, 10, 30}, true)));
        answers.check("coding-15-q3", Arrays.stream(ranks(new int[] {4, 9, 4, 4, 2}, false)).asLongStream().sum());
        answers.check("coding-15-q4", Arrays.stream(ranks(new int[] {8, 8, 2, 9}, false)).max().getAsInt());
        int[] a = {50, 20, 50, 10};
        int[] r = ranks(a, true);
        answers.check("coding-15-q5", npStr(IntStream.range(0, a.length).filter(i -> r[i] == 1).map(i -> a[i]).toArray()));
    }
}
