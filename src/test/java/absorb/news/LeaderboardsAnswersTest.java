package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Recomputes every computed answer of the New News {@code leaderboards} domain from the rankings and rules
 * stated in the news: scores, gaps, positions after a disqualification or a rule change, points needed.
 */
class LeaderboardsAnswersTest {
    private static final AnswerCheck answers = AnswerCheck.forBundledSet();

    // ---- helpers ----------------------------------------------------------------------------------------

    private static BigDecimal dec(String s) {
        return new BigDecimal(s);
    }

    /** Plain decimal with exactly {@code scale} fraction digits, rounded half-up. */
    private static String fixed(BigDecimal v, int scale) {
        return v.setScale(scale, RoundingMode.HALF_UP).toPlainString();
    }

    /** Points such as 6, 4.5 or 1.5, written without a trailing ".0". */
    private static String points(BigDecimal v) {
        BigDecimal s = v.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0).toPlainString() : s.toPlainString();
    }

    private static String ordinal(int rank) {
        return switch (rank) {
            case 1 -> "1st";
            case 2 -> "2nd";
            case 3 -> "3rd";
            default -> rank + "th";
        };
    }

    /** Names ordered best first by a score (higher is better unless {@code lowerIsBetter}). */
    private static <K> List<K> ranking(Map<K, ? extends Number> scores, boolean lowerIsBetter) {
        List<K> names = new ArrayList<>(scores.keySet());
        Comparator<K> byScore = Comparator.comparingDouble(k -> scores.get(k).doubleValue());
        names.sort(lowerIsBetter ? byScore : byScore.reversed());
        // a question must never depend on an unbroken tie
        for (int i = 1; i < names.size(); i++) {
            assertTrue(scores.get(names.get(i)).doubleValue() != scores.get(names.get(i - 1)).doubleValue(),
                    "unexpected tie between " + names.get(i - 1) + " and " + names.get(i));
        }
        return names;
    }

    /** The single best entry; asserts that nobody ties it (ties further down do not matter). */
    private static <K> K uniqueBest(Map<K, ? extends Number> scores, boolean lowerIsBetter) {
        List<K> names = new ArrayList<>(scores.keySet());
        Comparator<K> byScore = Comparator.comparingDouble(k -> scores.get(k).doubleValue());
        names.sort(lowerIsBetter ? byScore : byScore.reversed());
        assertTrue(scores.get(names.get(0)).doubleValue() != scores.get(names.get(1)).doubleValue(), "tie for first");
        return names.get(0);
    }

    /** 1-based rank of {@code who} (strictly better entries + 1); asserts no tie with {@code who}. */
    private static <K> int rankOf(K who, Map<K, ? extends Number> scores, boolean lowerIsBetter) {
        double mine = scores.get(who).doubleValue();
        int better = 0;
        for (Map.Entry<K, ? extends Number> e : scores.entrySet()) {
            if (e.getKey().equals(who)) continue;
            double v = e.getValue().doubleValue();
            assertTrue(v != mine, "tie with " + e.getKey());
            if (lowerIsBetter ? v < mine : v > mine) better++;
        }
        return better + 1;
    }

    /** m:ss or m:ss.t to seconds. */
    private static BigDecimal seconds(String clock) {
        String[] p = clock.split(":");
        return dec(p[0]).multiply(BigDecimal.valueOf(60)).add(dec(p[1]));
    }

    // ---- structure of the part file ---------------------------------------------------------------------

    @Test
    void fileShape() throws IOException {
        String file = System.getProperty("absorb.news.file");
        List<NewsItem> items = NewsDataset.load(file != null ? Path.of(file) : NewsDataset.BUNDLED).stream()
                .filter(i -> i.domain().equals("leaderboards"))
                .toList();
        assertEquals(15, items.size());
        Set<String> titles = new HashSet<>();
        for (int n = 0; n < items.size(); n++) {
            NewsItem item = items.get(n);
            assertEquals(String.format("leaderboards-%02d", n + 1), item.id());
            assertTrue(titles.add(item.title()), "duplicate title " + item.title());
            assertEquals(5, item.questions().size(), item.id());
            for (int j = 0; j < 5; j++) {
                NewsItem.Question q = item.questions().get(j);
                assertEquals(item.id() + "-q" + (j + 1), q.id());
                assertEquals(4, q.options().size(), q.id());
                assertEquals(4, new HashSet<>(q.options()).size(), q.id() + ": options not distinct");
                assertTrue(q.answer() >= 0 && q.answer() < 4, q.id());
                for (String o : q.options()) {
                    assertTrue(!o.isBlank() && !o.equals(q.question()), q.id());
                }
                assertTrue(!q.rationale().isBlank(), q.id());
            }
        }
    }

    // ---- items ------------------------------------------------------------------------------------------

    @Test
    void leaderboards01_halcyonMath() {
        int problems = 500;
        Map<String, BigDecimal> pct = new LinkedHashMap<>();
        pct.put("Corvid-3", dec("71.4"));
        pct.put("Meridian-X", dec("68.4"));
        pct.put("Lumen-2 Pro", dec("66.2"));
        pct.put("Saffron-70B", dec("59.4"));
        Map<String, String> lab = Map.of("Corvid-3", "Tessellate Labs", "Meridian-X", "Oakhaven AI",
                "Lumen-2 Pro", "Quillfeather", "Saffron-70B", "Brightwater AI");
        BigDecimal experts = dec("82.0");
        List<String> order = ranking(pct, false);

        java.util.function.Function<BigDecimal, Long> solved = p -> {
            BigDecimal n = p.multiply(BigDecimal.valueOf(problems)).divide(BigDecimal.valueOf(100));
            return n.setScale(0, RoundingMode.UNNECESSARY).longValueExact(); // must be a whole number
        };

        // a later system solving 350 problems, placed among the ranked systems (the experts are not ranked)
        Map<String, BigDecimal> withNew = new LinkedHashMap<>(pct);
        withNew.put("newcomer", BigDecimal.valueOf(350 * 100).divide(BigDecimal.valueOf(problems)));
        answers.check("leaderboards-01-q1", ordinal(rankOf("newcomer", withNew, false)));

        List<String> farShort = pct.keySet().stream()
                .filter(k -> solved.apply(experts) - solved.apply(pct.get(k)) > 100).toList();
        assertEquals(1, farShort.size());
        answers.check("leaderboards-01-q2", lab.get(farShort.get(0)));

        answers.check("leaderboards-01-q3", problems - solved.apply(pct.get(order.get(0))));
        answers.check("leaderboards-01-q4", solved.apply(pct.get("Lumen-2 Pro")) - solved.apply(pct.get("Saffron-70B")));
        answers.check("leaderboards-01-q5", solved.apply(experts) - solved.apply(pct.get(order.get(1))));
    }

    @Test
    void leaderboards02_cargoBikeSprint() {
        Map<String, BigDecimal> time = new LinkedHashMap<>();
        time.put("Ilse Brandsma", dec("41.82"));
        time.put("Tomasz Wierzba", dec("42.37"));
        time.put("Anouk Delacroix", dec("42.90"));
        time.put("Kenji Arata", dec("43.15"));
        Map<String, BigDecimal> official = new LinkedHashMap<>(time);
        official.remove("Tomasz Wierzba"); // disqualified
        List<String> order = ranking(official, true);

        answers.check("leaderboards-02-q1", order.get(1));
        answers.check("leaderboards-02-q2", fixed(official.get(order.get(1)).subtract(official.get(order.get(0))), 2));
        BigDecimal bronze = official.get(order.get(2));
        answers.check("leaderboards-02-q3", fixed(dec("400").divide(bronze, 10, RoundingMode.HALF_UP), 2));
        answers.check("leaderboards-02-q4", ordinal(rankOf("Kenji Arata", official, true)));

        answers.check("leaderboards-02-q5", fixed(bronze.subtract(official.get(order.get(1))), 2));
    }

    @Test
    void leaderboards03_shadeAccessIndex() {
        Map<String, BigDecimal> score = new LinkedHashMap<>();
        score.put("Singapore", dec("78.5"));
        score.put("Vienna", dec("74.1"));
        score.put("Melbourne", dec("71.9"));
        score.put("Seville", dec("69.3"));
        score.put("Montreal", dec("66.0"));
        BigDecimal perThousandTrees = dec("0.4");

        List<String> order = ranking(score, false);
        int melbourne = order.indexOf("Melbourne");
        answers.check("leaderboards-03-q1",
                fixed(score.get(order.get(melbourne - 1)).subtract(score.get("Melbourne")), 1));

        BigDecimal trees = score.get("Seville").subtract(score.get("Montreal"))
                .divide(perThousandTrees).multiply(BigDecimal.valueOf(1000));
        answers.check("leaderboards-03-q2", trees.setScale(0, RoundingMode.UNNECESSARY).toPlainString());

        Map<String, BigDecimal> planted = new LinkedHashMap<>(score);
        planted.put("Melbourne", score.get("Melbourne").add(perThousandTrees.multiply(BigDecimal.valueOf(10))));
        answers.check("leaderboards-03-q3", ordinal(rankOf("Melbourne", planted, false)));

        // gap of each city to the one directly above it; the most trees go with the largest gap
        Map<String, BigDecimal> gapAbove = new LinkedHashMap<>();
        for (int i = 1; i < order.size(); i++) {
            gapAbove.put(order.get(i), score.get(order.get(i - 1)).subtract(score.get(order.get(i))));
        }
        answers.check("leaderboards-03-q4", uniqueBest(gapAbove, false));

        // Montreal's rise that takes the five cities' mean to 72.5
        BigDecimal sum = score.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        answers.check("leaderboards-03-q5", fixed(dec("72.5").multiply(BigDecimal.valueOf(score.size())).subtract(sum), 1));
    }

    private record Wdl(int w, int d, int l) {
        BigDecimal points() {
            return BigDecimal.valueOf(w).add(BigDecimal.valueOf(d).multiply(dec("0.5")));
        }
    }

    @Test
    void leaderboards04_openEngineBlitzCup() {
        Map<String, Wdl> rec = new LinkedHashMap<>();
        rec.put("Harrowgate", new Wdl(4, 4, 0));
        rec.put("Pellucid", new Wdl(2, 6, 0));
        rec.put("Vantablack", new Wdl(3, 3, 2));
        rec.put("Quillon", new Wdl(2, 5, 1));
        rec.put("Tamsin", new Wdl(0, 0, 8));
        // consistency of a double round-robin of 5: 8 games each, wins = losses, 20 games
        int wins = 0, losses = 0, draws = 0;
        for (Wdl r : rec.values()) {
            assertEquals(8, r.w() + r.d() + r.l());
            wins += r.w();
            losses += r.l();
            draws += r.d();
        }
        assertEquals(wins, losses);
        assertEquals(0, draws % 2);
        assertEquals(5 * 4, wins + draws / 2);

        // sort by points, then wins (the stated tie-break)
        List<String> order = new ArrayList<>(rec.keySet());
        order.sort(Comparator.comparing((String k) -> rec.get(k).points())
                .thenComparingInt(k -> rec.get(k).w()).reversed());
        for (int i = 1; i < order.size(); i++) {
            Wdl a = rec.get(order.get(i - 1)), b = rec.get(order.get(i));
            assertTrue(a.points().compareTo(b.points()) != 0 || a.w() != b.w(), "unbroken tie");
        }

        answers.check("leaderboards-04-q1", draws / 2);

        // Vantablack turns one loss into a draw; ranked by points, then wins
        Map<String, Wdl> changed = new LinkedHashMap<>(rec);
        Wdl v = rec.get("Vantablack");
        changed.put("Vantablack", new Wdl(v.w(), v.d() + 1, v.l() - 1));
        List<String> order2 = new ArrayList<>(changed.keySet());
        order2.sort(Comparator.comparing((String k) -> changed.get(k).points())
                .thenComparingInt(k -> changed.get(k).w()).reversed());
        int at = order2.indexOf("Vantablack");
        for (int i = 0; i < order2.size(); i++) {
            if (i == at) continue;
            Wdl o = changed.get(order2.get(i));
            assertTrue(o.points().compareTo(changed.get("Vantablack").points()) != 0 || o.w() != v.w(), "unbroken tie");
        }
        answers.check("leaderboards-04-q2", ordinal(at + 1));

        // ties on points broken by fewer losses instead
        List<String> byLosses = new ArrayList<>(rec.keySet());
        byLosses.sort(Comparator.comparing((String k) -> rec.get(k).points()).reversed()
                .thenComparingInt(k -> rec.get(k).l()));
        for (int i = 1; i < byLosses.size(); i++) {
            Wdl a = rec.get(byLosses.get(i - 1)), b = rec.get(byLosses.get(i));
            assertTrue(a.points().compareTo(b.points()) != 0 || a.l() != b.l(), "unbroken tie");
        }
        answers.check("leaderboards-04-q3", byLosses.get(2));
        answers.check("leaderboards-04-q4", order.get(2));
        answers.check("leaderboards-04-q5", points(rec.get(order.get(1)).points()));
    }

    @Test
    void leaderboards05_driftlineInvitational() {
        int[] placePoints = {25, 18, 15, 12};
        int fastestLap = 2;
        int penalty = 6;
        Map<String, Integer> standings = new LinkedHashMap<>();
        standings.put("Team Halvard", 121);
        standings.put("Ember Sigma", 118);
        standings.put("Nightjar", 103);
        standings.put("Cobalt Reach", 84);
        // all points handed out over six races: (25+18+15+12+2) x 6, before the penalty
        int total = standings.values().stream().mapToInt(Integer::intValue).sum() + penalty;
        assertEquals((25 + 18 + 15 + 12 + fastestLap) * 6, total);

        int races = 6;
        answers.check("leaderboards-05-q1", (long) races * (java.util.Arrays.stream(placePoints).sum() + fastestLap));

        // the penalty overturned: Ember Sigma's 118 gets its 6 points back
        Map<String, Integer> restored = new LinkedHashMap<>(standings);
        restored.merge("Ember Sigma", penalty, Integer::sum);
        List<String> order2 = ranking(restored, false);
        answers.check("leaderboards-05-q2", restored.get(order2.get(0)) - restored.get(order2.get(1)));

        int best = placePoints[0] + fastestLap, worst = placePoints[placePoints.length - 1];
        answers.check("leaderboards-05-q3", best - worst);
        answers.check("leaderboards-05-q4", (long) races * best - standings.get("Team Halvard"));

        // Ember Sigma's 118 already includes its penalty; only Halvard's 4-point deduction is applied
        Map<String, Integer> docked = new LinkedHashMap<>(standings);
        docked.merge("Team Halvard", -4, Integer::sum);
        answers.check("leaderboards-05-q5", ranking(docked, false).get(0));
    }

    private record Rover(int cores, int beacons, int minutes) {
        int score() {
            return 12 * cores + 5 * beacons - minutes;
        }
    }

    @Test
    void leaderboards06_polarRoverChallenge() {
        Map<String, Rover> teams = new LinkedHashMap<>();
        teams.put("Skarv", new Rover(6, 4, 9));
        teams.put("Polaris", new Rover(5, 7, 3));
        teams.put("Ironfern", new Rover(7, 2, 12));
        teams.put("Whitecap", new Rover(4, 8, 0));
        Map<String, Integer> score = new LinkedHashMap<>();
        teams.forEach((k, v) -> score.put(k, v.score()));
        List<String> order = ranking(score, false);

        answers.check("leaderboards-06-q1", order.get(0));
        answers.check("leaderboards-06-q2", score.get("Ironfern"));
        answers.check("leaderboards-06-q3", score.get(order.get(0)) - score.get(order.get(1)));

        Map<String, Integer> polarisSlower = new LinkedHashMap<>(score);
        Rover p = teams.get("Polaris");
        polarisSlower.put("Polaris", new Rover(p.cores(), p.beacons(), 14).score());
        answers.check("leaderboards-06-q4", ordinal(rankOf("Polaris", polarisSlower, false)));

        Rover w = teams.get("Whitecap");
        int bestOther = score.entrySet().stream().filter(e -> !e.getKey().equals("Whitecap"))
                .mapToInt(Map.Entry::getValue).max().orElseThrow();
        int cores = 0;
        while (new Rover(cores, w.beacons(), w.minutes()).score() <= bestOther) cores++;
        answers.check("leaderboards-06-q5", cores);
    }

    @Test
    void leaderboards07_humanoidRobot1000m() {
        record Mark(String robot, String lab, String time, LocalDate date) {}
        List<Mark> marks = List.of(
                new Mark("Kestrel-H", "Aldine Robotics", "4:12.0", LocalDate.of(2027, 2, 12)),
                new Mark("Tern-2", "Mirrorlake Dynamics", "3:58.5", LocalDate.of(2027, 4, 30)),
                new Mark("Kestrel-H2", "Aldine Robotics", "3:43.2", LocalDate.of(2027, 8, 18)),
                new Mark("Tern-3", "Mirrorlake Dynamics", "3:36.4", LocalDate.of(2027, 11, 9)));
        for (int i = 1; i < marks.size(); i++) {
            assertTrue(seconds(marks.get(i).time()).compareTo(seconds(marks.get(i - 1).time())) < 0);
        }
        Mark first = marks.get(0), last = marks.get(marks.size() - 1);

        answers.check("leaderboards-07-q1", fixed(seconds(first.time()).subtract(seconds(last.time())), 1));

        LocalDate day = LocalDate.of(2027, 7, 1);
        Mark holder = null;
        for (Mark m : marks) if (!m.date().isAfter(day)) holder = m;
        answers.check("leaderboards-07-q2", holder.robot());

        int t2 = 1; // Tern-2
        answers.check("leaderboards-07-q3", ChronoUnit.DAYS.between(marks.get(t2).date(), marks.get(t2 + 1).date()));

        LocalDate march = LocalDate.of(2027, 3, 1);
        Mark standing = null;
        for (Mark m : marks) if (!m.date().isAfter(march)) standing = m;
        answers.check("leaderboards-07-q4",
                fixed(dec("1000").divide(seconds(standing.time()), 10, RoundingMode.HALF_UP), 2));

        List<BigDecimal> mirrorlake = marks.stream().filter(m -> m.lab().equals("Mirrorlake Dynamics"))
                .map(m -> seconds(m.time())).toList();
        answers.check("leaderboards-07-q5",
                fixed(mirrorlake.get(0).subtract(mirrorlake.get(mirrorlake.size() - 1)), 1));
    }

    @Test
    void leaderboards08_coastlineFutsalLeague() {
        int rounds = 14, played = 10, win = 2, draw = 1;
        Map<String, Wdl> rec = new LinkedHashMap<>();
        rec.put("Porto Vela", new Wdl(8, 1, 1));
        rec.put("Gdańsk Mariners", new Wdl(7, 2, 1));
        rec.put("Bilbao Estuary", new Wdl(6, 2, 2));
        rec.put("Tallinn Harbour", new Wdl(5, 3, 2));
        Map<String, Integer> pts = new LinkedHashMap<>();
        rec.forEach((k, r) -> {
            assertEquals(played, r.w() + r.d() + r.l());
            pts.put(k, win * r.w() + draw * r.d());
        });
        List<String> order = ranking(pts, false);
        assertEquals(new ArrayList<>(rec.keySet()), order); // the table as the news lists it

        answers.check("leaderboards-08-q1", pts.get("Tallinn Harbour") + win * (rounds - played));
        answers.check("leaderboards-08-q2", pts.get("Porto Vela") - pts.get("Bilbao Estuary"));
        answers.check("leaderboards-08-q3", pts.get("Tallinn Harbour") + 2 * win + 2 * draw);

        Map<String, Integer> docked = new LinkedHashMap<>(pts);
        docked.merge("Porto Vela", -3, Integer::sum);
        answers.check("leaderboards-08-q4", uniqueBest(docked, false)); // Porto Vela and Bilbao Estuary then tie below

        int tallinn = pts.get("Tallinn Harbour") + 2 * win, bilbao = pts.get("Bilbao Estuary") + 2 * draw; // two wins, two draws
        assertTrue(tallinn != bilbao);
        answers.check("leaderboards-08-q5", (tallinn > bilbao ? "Tallinn Harbour" : "Bilbao Estuary")
                + " ahead by " + Math.abs(tallinn - bilbao));
    }

    private record Agent(BigDecimal pct, BigDecimal cost) {}

    @Test
    void leaderboards09_terminalGauntlet() {
        int tasks = 400;
        Map<String, Agent> lb = new LinkedHashMap<>();
        lb.put("Osprey-Agent", new Agent(dec("62.5"), dec("0.48")));
        lb.put("Marlin 4", new Agent(dec("58.0"), dec("0.21")));
        lb.put("Stratus-Coder", new Agent(dec("66.25"), dec("1.10")));
        lb.put("Brindle-7B", new Agent(dec("15.0"), dec("0.06")));
        Map<String, BigDecimal> pct = new LinkedHashMap<>();
        lb.forEach((k, a) -> pct.put(k, a.pct()));
        List<String> order = ranking(pct, false);
        java.util.function.Function<String, Long> solved = k -> pct.get(k)
                .multiply(BigDecimal.valueOf(tasks)).divide(BigDecimal.valueOf(100))
                .setScale(0, RoundingMode.UNNECESSARY).longValueExact();

        List<String> cheapAndStrong = lb.keySet().stream()
                .filter(k -> solved.apply(k) > 240 && lb.get(k).cost().compareTo(dec("0.50")) < 0).toList();
        assertEquals(1, cheapAndStrong.size());
        answers.check("leaderboards-09-q1", cheapAndStrong.get(0));
        answers.check("leaderboards-09-q2", tasks - solved.apply("Marlin 4"));

        Map<String, BigDecimal> perSolved = new LinkedHashMap<>();
        lb.forEach((k, a) -> perSolved.put(k, a.cost().multiply(BigDecimal.valueOf(100)).divide(a.pct(), 10, RoundingMode.HALF_UP)));
        answers.check("leaderboards-09-q3", "$" + fixed(perSolved.get("Osprey-Agent"), 2));
        answers.check("leaderboards-09-q4", ranking(perSolved, true).get(0));

        answers.check("leaderboards-09-q5", solved.apply("Marlin 4") - solved.apply("Brindle-7B"));
    }

    @Test
    void leaderboards10_fjordlineKayakRelay() {
        int legKm = 5;
        Map<String, int[]> legs = new LinkedHashMap<>();
        legs.put("Team Selje", new int[] {24, 26, 23, 25});
        legs.put("Team Austrått", new int[] {22, 25, 27, 23});
        legs.put("Team Vigra", new int[] {25, 23, 24, 27});
        legs.put("Team Ormen", new int[] {23, 27, 24, 22});
        Map<String, Integer> total = new LinkedHashMap<>();
        Map<String, Integer> afterThree = new LinkedHashMap<>();
        legs.forEach((k, v) -> {
            total.put(k, v[0] + v[1] + v[2] + v[3]);
            afterThree.put(k, v[0] + v[1] + v[2]);
        });
        List<String> order = ranking(total, true);

        answers.check("leaderboards-10-q1", order.get(0));
        answers.check("leaderboards-10-q2", uniqueBest(afterThree, true)); // 2nd place is tied, not asked
        answers.check("leaderboards-10-q3", total.get(order.get(order.size() - 1)) - total.get(order.get(0)));

        BigDecimal km = BigDecimal.valueOf(4L * legKm);
        BigDecimal hours = BigDecimal.valueOf(total.get("Team Selje")).divide(BigDecimal.valueOf(60), 10, RoundingMode.HALF_UP);
        answers.check("leaderboards-10-q4", fixed(km.divide(hours, 10, RoundingMode.HALF_UP), 2));

        Map<String, Integer> vigraFaster = new LinkedHashMap<>(total);
        vigraFaster.merge("Team Vigra", -4, Integer::sum);
        answers.check("leaderboards-10-q5", ranking(vigraFaster, true).get(1));
    }

    /** Regulation wins, overtime wins, overtime losses, regulation losses. */
    private record Arena(int rw, int otw, int otl, int rl) {
        int points() {
            return 3 * rw + 2 * otw + otl;
        }

        int pointsThreePerWin() {
            return 3 * (rw + otw) + otl;
        }
    }

    @Test
    void leaderboards11_vanguardArenaMasters() {
        Map<String, Arena> rec = new LinkedHashMap<>();
        rec.put("Kinetic Oath", new Arena(4, 0, 1, 1));
        rec.put("Aurora Static", new Arena(3, 2, 0, 1));
        rec.put("Redline Wolves", new Arena(2, 0, 1, 3));
        rec.put("Ember Pike", new Arena(0, 1, 1, 4));
        // a double round-robin of four: 6 matches each, 12 matches, wins balance losses
        int rw = 0, rl = 0, otw = 0, otl = 0;
        for (Arena a : rec.values()) {
            assertEquals(6, a.rw() + a.otw() + a.otl() + a.rl());
            rw += a.rw();
            rl += a.rl();
            otw += a.otw();
            otl += a.otl();
        }
        assertEquals(rw, rl);
        assertEquals(otw, otl);
        assertEquals(12, rw + otw);

        List<String> order = new ArrayList<>(rec.keySet());
        order.sort(Comparator.comparingInt((String k) -> rec.get(k).points())
                .thenComparingInt(k -> rec.get(k).rw()).reversed());
        for (int i = 1; i < order.size(); i++) {
            Arena a = rec.get(order.get(i - 1)), b = rec.get(order.get(i));
            assertTrue(a.points() != b.points() || a.rw() != b.rw(), "unbroken tie");
        }

        answers.check("leaderboards-11-q1", order.get(0));
        answers.check("leaderboards-11-q2", rec.get(order.get(1)).points() - rec.get("Redline Wolves").points());

        Map<String, Integer> alt = new LinkedHashMap<>();
        rec.forEach((k, a) -> alt.put(k, a.pointsThreePerWin()));
        answers.check("leaderboards-11-q3", ranking(alt, false).get(0));

        answers.check("leaderboards-11-q4", rec.get("Aurora Static").points());
        answers.check("leaderboards-11-q5", otw);
    }

    @Test
    void leaderboards12_meridianBridgeCup() {
        record Bridge(int grams, BigDecimal loadKg) {
            BigDecimal efficiency() {
                return loadKg.multiply(BigDecimal.valueOf(1000)).divide(BigDecimal.valueOf(grams), 10, RoundingMode.HALF_UP);
            }
        }
        Map<String, Bridge> b = new LinkedHashMap<>();
        b.put("Arcobaleno", new Bridge(84, dec("61.32")));
        b.put("Kitefield", new Bridge(70, dec("53.2")));
        b.put("Brusna", new Bridge(95, dec("66.5")));
        b.put("Lowgate", new Bridge(60, dec("42.6")));
        Map<String, BigDecimal> eff = new LinkedHashMap<>();
        b.forEach((k, v) -> eff.put(k, v.efficiency()));
        List<String> order = ranking(eff, false);

        answers.check("leaderboards-12-q1", order.get(0));
        BigDecimal brusnaKg = eff.get(order.get(0)).multiply(BigDecimal.valueOf(b.get("Brusna").grams()))
                .divide(BigDecimal.valueOf(1000), 10, RoundingMode.HALF_UP);
        answers.check("leaderboards-12-q2", fixed(brusnaKg, 1));
        answers.check("leaderboards-12-q3", order.get(order.size() - 1));

        Map<String, BigDecimal> withLate = new LinkedHashMap<>(eff);
        withLate.put("late entry", new Bridge(85, dec("62.0")).efficiency());
        answers.check("leaderboards-12-q4", ordinal(rankOf("late entry", withLate, false)));

        BigDecimal top = eff.get(order.get(0)), bottom = eff.get(order.get(order.size() - 1));
        answers.check("leaderboards-12-q5",
                fixed(top.subtract(bottom).multiply(BigDecimal.valueOf(100)).divide(bottom, 10, RoundingMode.HALF_UP), 1) + "%");
    }

    @Test
    void leaderboards13_triScore() {
        record Sub(int reasoning, int coding, int safety) {
            BigDecimal tri() {
                return dec("0.5").multiply(BigDecimal.valueOf(reasoning))
                        .add(dec("0.3").multiply(BigDecimal.valueOf(coding)))
                        .add(dec("0.2").multiply(BigDecimal.valueOf(safety)));
            }
        }
        Map<String, Sub> m = new LinkedHashMap<>();
        m.put("Aster-5", new Sub(80, 70, 60));
        m.put("Quarry-2", new Sub(72, 84, 70));
        m.put("Nimbus-4", new Sub(76, 68, 90));
        m.put("Fable-9", new Sub(85, 60, 65));
        Map<String, BigDecimal> tri = new LinkedHashMap<>();
        m.forEach((k, s) -> tri.put(k, s.tri()));
        List<String> order = ranking(tri, false);

        answers.check("leaderboards-13-q1", order.get(0));
        answers.check("leaderboards-13-q2", fixed(tri.get("Quarry-2"), 1));
        answers.check("leaderboards-13-q3", order.get(2));

        Map<String, BigDecimal> safer = new LinkedHashMap<>(tri);
        Sub a = m.get("Aster-5");
        safer.put("Aster-5", new Sub(a.reasoning(), a.coding(), 75).tri());
        answers.check("leaderboards-13-q4", ordinal(rankOf("Aster-5", safer, false)));

        // fewest whole extra safety points with which Quarry-2 overtakes the leader
        Sub q2 = m.get("Quarry-2");
        int extra = 0;
        while (new Sub(q2.reasoning(), q2.coding(), q2.safety() + extra).tri().compareTo(tri.get(order.get(0))) <= 0) extra++;
        answers.check("leaderboards-13-q5", extra);
    }

    @Test
    void leaderboards14_hollowmereSpeedrun() {
        // every verified run: runner -> times
        Map<String, List<String>> runs = new LinkedHashMap<>();
        runs.put("vantor", List.of("38:12", "39:50"));
        runs.put("pixmo", List.of("38:47"));
        runs.put("Quenby", List.of("39:05"));
        runs.put("lark_ii", List.of("40:30"));
        java.util.function.Function<Map<String, List<String>>, Map<String, BigDecimal>> best = r -> {
            Map<String, BigDecimal> out = new LinkedHashMap<>();
            r.forEach((k, v) -> v.stream().map(LeaderboardsAnswersTest::seconds).min(BigDecimal::compareTo)
                    .ifPresent(s -> out.put(k, s)));
            return out;
        };
        Map<String, BigDecimal> board = best.apply(runs);
        List<String> order = ranking(board, true);

        Map<String, List<String>> rejected = new LinkedHashMap<>(runs);
        rejected.put("vantor", List.of("39:50"));
        Map<String, BigDecimal> boardRejected = best.apply(rejected);
        answers.check("leaderboards-14-q1", ranking(boardRejected, true).get(0));
        answers.check("leaderboards-14-q2", ordinal(rankOf("vantor", boardRejected, true)));

        answers.check("leaderboards-14-q3",
                board.get(order.get(1)).subtract(board.get(order.get(0))).longValueExact());

        Map<String, BigDecimal> withNew = new LinkedHashMap<>(board);
        withNew.put("newcomer", seconds("39:10"));
        answers.check("leaderboards-14-q4", ordinal(rankOf("newcomer", withNew, true)));

        answers.check("leaderboards-14-q5",
                board.get("lark_ii").subtract(board.get(order.get(2))).longValueExact());
    }

    @Test
    void leaderboards15_cirrusDroneCup() {
        Map<String, int[]> rounds = new LinkedHashMap<>();
        rounds.put("Mara Okonkwo-Lind", new int[] {50, 18, 44});
        rounds.put("Deniz Falkner", new int[] {40, 41, 22});
        rounds.put("Yusuf Abernethy", new int[] {25, 50, 20});
        rounds.put("Pia Castellanos", new int[] {33, 36, 40});
        // the final (third) round always counts, plus the better of the first two
        java.util.function.Function<int[], Integer> counted = r -> r[2] + Math.max(r[0], r[1]);
        Map<String, Integer> total = new LinkedHashMap<>();
        Map<String, Integer> allThree = new LinkedHashMap<>();
        rounds.forEach((k, r) -> {
            total.put(k, counted.apply(r));
            allThree.put(k, r[0] + r[1] + r[2]);
        });
        List<String> order = ranking(total, false);

        answers.check("leaderboards-15-q1", order.get(1));
        answers.check("leaderboards-15-q2", total.get("Yusuf Abernethy"));
        answers.check("leaderboards-15-q3", total.get(order.get(0)) - total.get(order.get(1)));

        // lowest third-round score that puts Pia strictly second (strictly above everyone but the winner)
        int third = 0;
        while (true) {
            Map<String, Integer> t = new LinkedHashMap<>(total);
            int[] p = rounds.get("Pia Castellanos");
            t.put("Pia Castellanos", counted.apply(new int[] {p[0], p[1], third}));
            long above = t.entrySet().stream().filter(e -> !e.getKey().equals("Pia Castellanos"))
                    .filter(e -> e.getValue() >= t.get("Pia Castellanos")).count();
            if (above == 1) break;
            third++;
        }
        answers.check("leaderboards-15-q4", third);

        answers.check("leaderboards-15-q5", ranking(allThree, false).get(2));
    }
}
