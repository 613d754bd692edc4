package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Recomputes every answer of the {@code math} domain of New News from the rule stated in each item's news:
 * each test implements the new definition and checks that the keyed option is exactly the computed value.
 */
class MathAnswersTest {
    private static final AnswerCheck answers = AnswerCheck.forBundledSet();

    // ---------------------------------------------------------------- math-01: tilt product a ⊿ b = ab + a - b

    private static long tilt(long a, long b) {
        return a * b + a - b;
    }

    @Test
    void math01_tiltProduct() {
        answers.check("math-01-q1", tilt(8, 3));
        answers.check("math-01-q2", tilt(4, 9));
        answers.check("math-01-q3", tilt(tilt(2, 4), 3));
        List<Long> solutions = new ArrayList<>();
        for (long x = -1000; x <= 1000; x++) if (tilt(x, 3) == 21) solutions.add(x);
        assertEquals(1, solutions.size(), "x ⊿ 3 = 21 must have one solution");
        answers.check("math-01-q4", solutions.get(0));
        answers.check("math-01-q5", tilt(-2, 5));
    }

    // ---------------------------------------------------------------- math-02: keel numbers

    private static int digitSum(long n) {
        int s = 0;
        for (char c : Long.toString(n).toCharArray()) s += c - '0';
        return s;
    }

    private static int divisorCount(long n) {
        int d = 0;
        for (long i = 1; i <= n; i++) if (n % i == 0) d++;
        return d;
    }

    private static boolean keel(long n) {
        return digitSum(n) == divisorCount(n);
    }

    /** The single option among {@code candidates} that satisfies {@code property}; fails unless exactly one does. */
    private static long onlyOne(java.util.function.LongPredicate property, long... candidates) {
        long[] hits = Arrays.stream(candidates).filter(property).toArray();
        assertEquals(1, hits.length, "exactly one candidate must qualify: " + Arrays.toString(hits));
        return hits[0];
    }

    @Test
    void math02_keelNumbers() {
        assertTrue(keel(22), "the news' example");
        answers.check("math-02-q1", onlyOne(MathAnswersTest::keel, 36, 32, 27, 30));
        answers.check("math-02-q2", IntStream.rangeClosed(1, 100).filter(MathAnswersTest::keel).count());
        long next = 161;
        while (!keel(next)) next++;
        answers.check("math-02-q3", next);
        answers.check("math-02-q4", IntStream.rangeClosed(101, 160).filter(MathAnswersTest::keel).count());
        answers.check("math-02-q5", IntStream.rangeClosed(10, 99).filter(MathAnswersTest::keel).max().getAsInt());
    }

    // ---------------------------------------------------------------- math-03: echo brackets ⟪a, b⟫ₙ

    private static long echo(long a, long b, int n) {
        long prev2 = a, prev1 = b;
        if (n == 1) return a;
        for (int i = 3; i <= n; i++) {
            long next = prev1 + 2 * prev2 - i;
            prev2 = prev1;
            prev1 = next;
        }
        return prev1;
    }

    @Test
    void math03_echoBrackets() {
        answers.check("math-03-q1", echo(3, 4, 4));
        answers.check("math-03-q2", echo(1, 1, 5));
        List<Long> bs = new ArrayList<>();
        for (long b = -1000; b <= 1000; b++) if (echo(1, b, 3) == 10) bs.add(b);
        assertEquals(1, bs.size());
        answers.check("math-03-q3", bs.get(0));
        answers.check("math-03-q4", echo(0, 0, 5));
        answers.check("math-03-q5", echo(2, 3, 4));
    }

    // ---------------------------------------------------------------- math-04: splice of two sets

    private static TreeSet<Integer> splice(List<Integer> a, List<Integer> b) {
        TreeSet<Integer> out = new TreeSet<>();
        TreeSet<Integer> common = new TreeSet<>();
        for (int x : a) if (b.contains(x)) common.add(x); else out.add(x);
        for (int x : b) if (!a.contains(x)) out.add(x);
        if (!common.isEmpty()) out.add(common.last());
        return out;
    }

    private static String setText(TreeSet<Integer> s) {
        return s.stream().map(String::valueOf).collect(Collectors.joining(", ", "{", "}"));
    }

    @Test
    void math04_splice() {
        answers.check("math-04-q1", splice(List.of(1, 2, 3, 4, 5, 6), List.of(4, 5, 6, 7, 8, 9)).size());
        answers.check("math-04-q2",
                splice(List.of(2, 4, 6, 8), List.of(4, 8, 12)).stream().mapToLong(Integer::longValue).sum());
        answers.check("math-04-q3", setText(splice(List.of(10, 20, 30), List.of(20, 30, 40))));
        answers.check("math-04-q4", setText(splice(List.of(1, 5, 9), List.of(1, 5, 9))));
        answers.check("math-04-q5", setText(splice(List.of(1, 3, 5, 7), List.of(3, 7, 9))));
    }

    // ---------------------------------------------------------------- math-05: tamber count of a graph

    /** Tamber count of the simple graph on vertices 0..n-1 with the given edges (pairs). */
    private static long tamberCount(int n, int[][] edges) {
        List<List<Integer>> adj = new ArrayList<>();
        for (int i = 0; i < n; i++) adj.add(new ArrayList<>());
        for (int[] e : edges) {
            adj.get(e[0]).add(e[1]);
            adj.get(e[1]).add(e[0]);
        }
        long count = 0;
        for (int v = 0; v < n; v++) {
            int deg = adj.get(v).size();
            boolean tamber = true;
            for (int u : adj.get(v)) if (adj.get(u).size() >= deg) tamber = false;
            if (tamber) count++; // a vertex with no neighbours is a tamber vertex
        }
        return count;
    }

    private static int[][] completeBipartite(int p, int q) {
        List<int[]> e = new ArrayList<>();
        for (int i = 0; i < p; i++) for (int j = 0; j < q; j++) e.add(new int[] {i, p + j});
        return e.toArray(new int[0][]);
    }

    @Test
    void math05_tamberCount() {
        answers.check("math-05-q1", tamberCount(6, completeBipartite(1, 5)));
        int[][] path6 = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}};
        answers.check("math-05-q2", tamberCount(6, path6));
        answers.check("math-05-q3", tamberCount(8, completeBipartite(3, 5)));
        // vertices 1..10 mapped to 0..9: edges 1-2, 1-3, 1-4, 1-5, 5-6, 5-7, 7-8, 8-9, 8-10
        int[][] tree = {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {4, 5}, {4, 6}, {6, 7}, {7, 8}, {7, 9}};
        answers.check("math-05-q4", tamberCount(10, tree));
        int[][] triangle = {{0, 1}, {1, 2}, {0, 2}}; // vertices 3 and 4 isolated
        answers.check("math-05-q5", tamberCount(5, triangle));
    }

    // ---------------------------------------------------------------- math-06: sorrel function

    private static long sorrel(long n) {
        long primeSum = 0, m = n;
        for (long p = 2; p * p <= m; p++) {
            if (m % p == 0) {
                primeSum += p;
                while (m % p == 0) m /= p;
            }
        }
        if (m > 1) primeSum += m;
        return primeSum * divisorCount(n); // S(1) = 0 * 1 = 0
    }

    @Test
    void math06_sorrelFunction() {
        assertEquals(78, sorrel(44), "the news' example");
        assertEquals(0, sorrel(1));
        answers.check("math-06-q1", sorrel(12));
        answers.check("math-06-q2", onlyOne(n -> sorrel(n) == 40, 20, 24, 40, 16));
        answers.check("math-06-q3", sorrel(16));
        answers.check("math-06-q4", sorrel(sorrel(6)));
        long best = Arrays.stream(new long[] {21, 26, 32, 45}).boxed()
                .max(Comparator.comparingLong(MathAnswersTest::sorrel)).orElseThrow();
        long bestCount = Arrays.stream(new long[] {21, 26, 32, 45}).filter(n -> sorrel(n) == sorrel(best)).count();
        assertEquals(1, bestCount, "the largest value must be unique");
        answers.check("math-06-q5", best);
    }

    // ---------------------------------------------------------------- math-07: tally rounding

    private static int digitSum(BigDecimal x) {
        int s = 0;
        for (char c : x.abs().toPlainString().toCharArray()) if (Character.isDigit(c)) s += c - '0';
        return s;
    }

    /** Rounds x to the nearest multiple of unit; exact ties go to the candidate with the smaller digit sum. */
    private static BigDecimal tallyRound(BigDecimal x, BigDecimal unit) {
        BigDecimal q = x.divide(unit);
        BigDecimal lowerQ = q.setScale(0, java.math.RoundingMode.FLOOR);
        BigDecimal lower = lowerQ.multiply(unit);
        BigDecimal upper = lowerQ.add(BigDecimal.ONE).multiply(unit);
        int cmp = x.subtract(lower).compareTo(upper.subtract(x));
        if (cmp < 0) return lower;
        if (cmp > 0) return upper;
        int dl = digitSum(lower), du = digitSum(upper);
        assertTrue(dl != du, "the news says consecutive candidates never tie");
        return dl < du ? lower : upper;
    }

    private static String plain(BigDecimal x, int scale) {
        return x.setScale(scale, java.math.RoundingMode.UNNECESSARY).toPlainString();
    }

    @Test
    void math07_tallyRounding() {
        BigDecimal one = BigDecimal.ONE;
        BigDecimal ten = BigDecimal.TEN;
        BigDecimal sum = BigDecimal.ZERO;
        for (String v : List.of("45", "75", "95")) sum = sum.add(tallyRound(new BigDecimal(v), ten));
        answers.check("math-07-q1", plain(sum, 0));
        long up = 0;
        for (int k = 10; k <= 39; k++) {
            BigDecimal x = new BigDecimal(k).add(new BigDecimal("0.5"));
            if (tallyRound(x, one).compareTo(x) > 0) up++;
        }
        answers.check("math-07-q2", up);
        List<String> roundedUp = new ArrayList<>();
        for (String v : List.of("12.5", "25.5", "9.5", "60.5")) {
            BigDecimal x = new BigDecimal(v);
            if (tallyRound(x, one).compareTo(x) > 0) roundedUp.add(v);
        }
        assertEquals(1, roundedUp.size(), "exactly one option must be rounded up");
        answers.check("math-07-q3", roundedUp.get(0));
        BigDecimal product = tallyRound(new BigDecimal("13.5"), one).multiply(tallyRound(new BigDecimal("19.5"), one));
        answers.check("math-07-q4", plain(product, 0));
        long n = 11;
        while (tallyRound(new BigDecimal(n).add(new BigDecimal("0.5")), one).compareTo(new BigDecimal(n)) == 0) n++;
        answers.check("math-07-q5", n);
    }

    // ---------------------------------------------------------------- math-08: the game Quarry

    private static List<Integer> quarryMoves(int n) {
        List<Integer> moves = new ArrayList<>();
        if (n >= 1) moves.add(1);
        if (n >= 4) moves.add(4);
        if (n > 0 && n % 3 == 0) moves.add(n / 3);
        return moves;
    }

    /** lose[n]: the player to move with n stones loses under perfect play. */
    private static boolean[] quarryLosses(int max) {
        boolean[] lose = new boolean[max + 1];
        for (int n = 0; n <= max; n++) {
            boolean anyWinning = false;
            for (int m : quarryMoves(n)) if (lose[n - m]) anyWinning = true;
            lose[n] = !anyWinning; // n = 0: no move, so a loss
        }
        return lose;
    }

    @Test
    void math08_quarry() {
        boolean[] lose = quarryLosses(100);
        answers.check("math-08-q1", onlyOne(n -> lose[(int) n], 15, 21, 29, 25));
        answers.check("math-08-q2", IntStream.range(1, 46).filter(n -> lose[n]).max().getAsInt());
        // Options name the number of stones taken; from 15 the legal takes are 1, 4 and 5 (one third).
        List<Integer> winning = quarryMoves(15).stream().filter(m -> lose[15 - m]).distinct().toList();
        assertEquals(1, winning.size(), "exactly one winning move from 15");
        int take = winning.get(0);
        answers.check("math-08-q3", "Take " + take + (take == 1 ? " stone" : " stones"));
        int next = 36;
        while (!lose[next]) next++;
        answers.check("math-08-q4", next);
        answers.check("math-08-q5", IntStream.rangeClosed(13, 16).filter(n -> !lose[n]).count());
    }

    // ---------------------------------------------------------------- math-09: marl notation

    /** Place values 1, 2, 6, 12, 36, ...: multiply alternately by 2 and by 3. */
    private static long[] marlPlaces(int count) {
        long[] w = new long[count];
        w[0] = 1;
        for (int i = 1; i < count; i++) w[i] = w[i - 1] * (i % 2 == 1 ? 2 : 3);
        return w;
    }

    private static long marlValue(String numeral) {
        long[] w = marlPlaces(numeral.length() + 1);
        long v = 0;
        for (int i = 0; i < numeral.length(); i++) {
            int place = numeral.length() - 1 - i;
            int digit = numeral.charAt(i) - '0';
            long maxDigit = w[place + 1] / w[place] - 1;
            assertTrue(digit >= 0 && digit <= maxDigit, "invalid marl digit in " + numeral);
            v += digit * w[place];
        }
        return v;
    }

    private static String marl(long n) {
        if (n == 0) return "0";
        long[] w = marlPlaces(40);
        StringBuilder sb = new StringBuilder();
        long rest = n;
        for (int i = 0; i < w.length - 1; i++) {
            long radix = w[i + 1] / w[i];
            sb.append(rest % radix);
            rest /= radix;
            if (rest == 0) break;
        }
        return sb.reverse().toString();
    }

    @Test
    void math09_marlNotation() {
        for (long n = 0; n < 2000; n++) assertEquals(n, marlValue(marl(n)));
        answers.check("math-09-q1", marlValue("1021"));
        answers.check("math-09-q2", marl(50));
        long largest = 0;
        for (long n = 0; n < 1000; n++) if (marl(n).length() <= 3) largest = n;
        answers.check("math-09-q3", largest);
        answers.check("math-09-q4", marlValue("2111"));
        answers.check("math-09-q5", marl(300).length());
    }

    // ---------------------------------------------------------------- math-10: quill of two integers

    private static String quill(long a, long b) {
        String x = Long.toString(a), y = Long.toString(b);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(x.length(), y.length()); i++) {
            if (i < x.length()) sb.append(x.charAt(i));
            if (i < y.length()) sb.append(y.charAt(i));
        }
        return Long.toString(Long.parseLong(sb.toString()));
    }

    @Test
    void math10_quill() {
        answers.check("math-10-q1", quill(123, 45));
        answers.check("math-10-q2", quill(30, 1));
        answers.check("math-10-q3", quill(1000, 99));
        answers.check("math-10-q4", quill(56, 56));
        answers.check("math-10-q5", quill(Long.parseLong(quill(1, 2)), 3));
    }

    // ---------------------------------------------------------------- math-11: rim index of a square matrix

    private static long rimIndex(long[][] m) {
        int n = m.length;
        assertTrue(n >= 3);
        long border = 0, interior = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == 0 || j == 0 || i == n - 1 || j == n - 1) border += m[i][j]; else interior += m[i][j];
            }
        }
        return border - interior;
    }

    private static long[][] filled(int n, long value) {
        long[][] m = new long[n][n];
        for (long[] row : m) Arrays.fill(row, value);
        return m;
    }

    @Test
    void math11_rimIndex() {
        answers.check("math-11-q1", rimIndex(new long[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}));
        answers.check("math-11-q2", rimIndex(filled(5, 2)));
        answers.check("math-11-q3", rimIndex(new long[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}));
        int n = 3;
        while (rimIndex(filled(n, 1)) >= 0) n++;
        answers.check("math-11-q4", n);
        answers.check("math-11-q5", rimIndex(new long[][] {{2, 0, 2}, {0, 9, 0}, {2, 0, 2}}));
    }

    // ---------------------------------------------------------------- math-12: kestrel roll

    private static int kestrel(int d1, int d2) {
        return d1 == d2 ? 6 : Math.abs(d1 - d2);
    }

    /** A reduced fraction as "p/q", or "0" / "p" when it is an integer. */
    private static String fraction(BigInteger num, BigInteger den) {
        BigInteger g = num.gcd(den);
        if (g.signum() == 0) return "0";
        num = num.divide(g);
        den = den.divide(g);
        return den.equals(BigInteger.ONE) ? num.toString() : num + "/" + den;
    }

    private static String probability(java.util.function.IntPredicate recorded) {
        long hits = 0;
        for (int a = 1; a <= 6; a++) for (int b = 1; b <= 6; b++) if (recorded.test(kestrel(a, b))) hits++;
        return fraction(BigInteger.valueOf(hits), BigInteger.valueOf(36));
    }

    @Test
    void math12_kestrelRoll() {
        answers.check("math-12-q1", probability(v -> v <= 1));
        long total = 0; // the sum of two rolls over all 6^4 equally likely outcomes
        for (int a = 1; a <= 6; a++) for (int b = 1; b <= 6; b++)
            for (int c = 1; c <= 6; c++) for (int d = 1; d <= 6; d++) total += kestrel(a, b) + kestrel(c, d);
        answers.check("math-12-q2", fraction(BigInteger.valueOf(total), BigInteger.valueOf(1296)));
        answers.check("math-12-q3", probability(v -> v >= 4));
        answers.check("math-12-q4", probability(v -> v >= 5));
        long pairs = 0;
        for (int a = 1; a <= 6; a++) for (int b = 1; b <= 6; b++)
            for (int c = 1; c <= 6; c++) for (int d = 1; d <= 6; d++)
                if (kestrel(a, b) + kestrel(c, d) == 11) pairs++;
        answers.check("math-12-q5", fraction(BigInteger.valueOf(pairs), BigInteger.valueOf(1296)));
    }

    // ---------------------------------------------------------------- math-13: Sallis order

    private static final Comparator<Long> SALLIS =
            Comparator.<Long>comparingInt(MathAnswersTest::digitSum).thenComparing(Comparator.naturalOrder());

    private static List<Long> sallisSorted(long... values) {
        return Arrays.stream(values).boxed().sorted(SALLIS).toList();
    }

    @Test
    void math13_sallisOrder() {
        answers.check("math-13-q1", sallisSorted(19, 30, 200, 12).get(0));
        List<Long> q2 = sallisSorted(99, 100, 58, 1000);
        answers.check("math-13-q2", q2.get(q2.size() - 1));
        List<Long> upTo50 = sallisSorted(IntStream.rangeClosed(1, 50).asLongStream().toArray());
        answers.check("math-13-q3", upTo50.get(4));
        List<Long> upTo45 = sallisSorted(IntStream.rangeClosed(1, 45).asLongStream().toArray());
        answers.check("math-13-q4", upTo45.get(upTo45.size() - 1));
        answers.check("math-13-q5", upTo50.get(upTo50.indexOf(30L) + 1));
    }

    // ---------------------------------------------------------------- math-14: stride map

    private static long stride(long n) {
        return n % 3 == 0 ? n / 3 : 2 * n + 1;
    }

    /** Number of applications that take n to 1, or -1 if 1 is not reached within 60 steps. */
    private static long stepsToOne(long n) {
        for (int steps = 0; steps <= 60; steps++) {
            if (n == 1) return steps;
            n = stride(n);
        }
        return -1;
    }

    @Test
    void math14_strideMap() {
        List<Long> preimages = new ArrayList<>();
        for (long n = 1; n <= 100; n++) if (stride(n) == 13) preimages.add(n); // T(n) >= n/3, so n <= 39
        assertEquals(1, preimages.size(), "one integer goes to 13");
        answers.check("math-14-q1", preimages.get(0));
        answers.check("math-14-q2", stride(stride(4)));
        answers.check("math-14-q3", onlyOne(n -> stride(n) != 1 && stride(stride(n)) == 1, 9, 4, 27, 7));
        answers.check("math-14-q4", stride(stride(stride(10))));
        // A start with remainder 2 mod 3 keeps remainder 2 (2n + 1 ≡ 5 ≡ 2) and is never divided, so it never
        // reaches 1; 10 reaches 5 (10 → 21 → 7 → 15 → 5); the 60-step bound therefore decides every option.
        for (long n : new long[] {5, 17}) assertEquals(2, n % 3);
        assertEquals(5, stride(stride(stride(stride(10)))));
        answers.check("math-14-q5", onlyOne(n -> stepsToOne(n) >= 0, 19, 5, 10, 17));
    }

    // ---------------------------------------------------------------- math-15: Rellin count

    /** One group of identical ballots: {@code count} voters with {@code ranking} (best first). */
    private record Ballots(int count, String ranking) {}

    private static Map<Character, Long> rellin(Ballots... groups) {
        Map<Character, Long> score = new HashMap<>();
        for (Ballots g : groups) {
            String r = g.ranking();
            for (int i = 0; i < r.length(); i++) {
                long points = i == 0 ? 2 : (i == r.length() - 1 ? -1 : 1);
                score.merge(r.charAt(i), g.count() * points, Long::sum);
            }
        }
        return score;
    }

    private static String winner(Map<Character, Long> score) {
        long max = score.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        List<Character> top = score.keySet().stream().filter(c -> score.get(c) == max).sorted().toList();
        return top.size() == 1 ? top.get(0).toString()
                : top.stream().map(String::valueOf).collect(Collectors.joining(" and ")) + " tie";
    }

    @Test
    void math15_rellinCount() {
        answers.check("math-15-q1", winner(rellin(new Ballots(3, "ABC"), new Ballots(2, "CBA"))));
        answers.check("math-15-q2",
                rellin(new Ballots(4, "ABC"), new Ballots(3, "BCA"), new Ballots(2, "CAB")).get('A'));
        answers.check("math-15-q3", rellin(new Ballots(3, "ABCD"), new Ballots(2, "BDCA")).get('D'));
        // 7 identical ballots suffice: the sum of all totals depends only on the number of ballots and candidates.
        answers.check("math-15-q4", rellin(new Ballots(7, "ABCDEF")).values().stream().mapToLong(Long::longValue).sum());
        int extra = 0;
        while (!winner(rellin(new Ballots(2 + extra, "ABC"), new Ballots(4, "BCA"))).equals("A")) extra++;
        answers.check("math-15-q5", extra);
    }
}
