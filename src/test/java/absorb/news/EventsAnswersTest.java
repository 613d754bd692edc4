package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Recomputes the answers of the New News {@code events} domain: each test implements the rule of one news item
 * (dates, thresholds, schedules, prices) and checks that the keyed option is exactly the computed text.
 */
class EventsAnswersTest {
    private static final AnswerCheck answers = AnswerCheck.forBundledSet();

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.ENGLISH);
    private static final DateTimeFormatter DAY_MONTH = DateTimeFormatter.ofPattern("d MMMM", Locale.ENGLISH);
    private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("HH:mm");

    private static String date(LocalDate d) {
        return d.format(DATE);
    }

    private static String weekday(LocalDate d) {
        return d.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    }

    private static String euros(long amount) {
        return "\u20ac" + amount;
    }

    /** The option whose candidate satisfies the rule; fails unless exactly one does. */
    private static <T> String onlyMatching(List<T> candidates, List<String> texts, java.util.function.Predicate<T> rule) {
        List<String> hits = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) if (rule.test(candidates.get(i))) hits.add(texts.get(i));
        assertEquals(1, hits.size(), "exactly one candidate must satisfy the rule: " + hits);
        return hits.get(0);
    }

    // ---- events-01: Meridian Accord on Shipping Emissions ----
    private static final int ACCORD_SIGNATORIES = 31, ACCORD_MIN_RATIFICATIONS = 20, ACCORD_MIN_TONNAGE_PCT = 55;
    private static final int ACCORD_DELAY_DAYS = 120, REPORT_GT = 2_000, CUT_GT = 20_000, ACCORD_CUT_PCT = 15;

    private static String accordStatus(int ratifications, int tonnagePct) {
        if (ratifications < ACCORD_MIN_RATIFICATIONS) return "Not yet in force; more states must ratify";
        if (tonnagePct < ACCORD_MIN_TONNAGE_PCT) return "Not yet in force; more tonnage must ratify";
        return "In force " + ACCORD_DELAY_DAYS + " days after both conditions are met";
    }

    @Test
    void events01_meridianAccord() {
        answers.check("events-01-q1", date(LocalDate.of(2027, 10, 1).minusDays(ACCORD_DELAY_DAYS)));
        answers.check("events-01-q2", accordStatus(24, 51));
        assertEquals(true, 30_000 >= CUT_GT);
        answers.check("events-01-q3", String.format(Locale.ROOT, "%.1f g", 10.5 / (1 - ACCORD_CUT_PCT / 100.0)));
        answers.check("events-01-q4", onlyMatching(
                List.of(1_800, 20_000, 19_800, 35_000),
                List.of("A 1,800 GT offshore tug", "A 20,000 GT bulk carrier", "A 19,800 GT ro-ro ferry",
                        "A 35,000 GT container ship"),
                gt -> gt >= REPORT_GT && gt < CUT_GT)); // reports, but no carbon-intensity cut
        int blocking = 0;
        while (ACCORD_SIGNATORIES - blocking >= ACCORD_MIN_RATIFICATIONS) blocking++;
        answers.check("events-01-q5", blocking);
    }

    // ---- events-02: Portugal's National Day of the Sea, on the Friday closest to 16 November ----
    private static LocalDate seaDay(int year) {
        LocalDate anchor = LocalDate.of(year, 11, 16);
        LocalDate before = anchor.with(TemporalAdjusters.previousOrSame(DayOfWeek.FRIDAY));
        LocalDate after = anchor.with(TemporalAdjusters.nextOrSame(DayOfWeek.FRIDAY));
        long db = ChronoUnit.DAYS.between(before, anchor), da = ChronoUnit.DAYS.between(anchor, after);
        if (db == da && db != 0) throw new AssertionError("tie cannot happen with a 7-day week");
        return db <= da ? before : after;
    }

    /** The no-news reading: the Monday closest to 16 November; its answers must stay distractors. */
    private static LocalDate mondaySeaDay(int year) {
        LocalDate anchor = LocalDate.of(year, 11, 16);
        LocalDate before = anchor.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        LocalDate after = anchor.with(TemporalAdjusters.nextOrSame(DayOfWeek.MONDAY));
        return ChronoUnit.DAYS.between(before, anchor) <= ChronoUnit.DAYS.between(anchor, after) ? before : after;
    }

    @Test
    void events02_portugalSeaDay() {
        answers.check("events-02-q1", date(seaDay(2027)));
        answers.check("events-02-q2", date(seaDay(2033)));
        assertEquals(DayOfWeek.WEDNESDAY, LocalDate.of(2033, 11, 16).getDayOfWeek()); // the closest Friday is the one after
        assertEquals(DayOfWeek.SATURDAY, LocalDate.of(2030, 11, 16).getDayOfWeek()); // the closest Friday is the one before
        answers.check("events-02-q3", seaDay(2030).format(DAY_MONTH));
        assertEquals("18 November", mondaySeaDay(2030).format(DAY_MONTH)); // the Monday reading is a distractor
        assertEquals("15 November 2027", date(mondaySeaDay(2027)));
        assertEquals("14 November 2033", date(mondaySeaDay(2033)));
        Set<DayOfWeek> weekdays = new TreeSet<>();
        for (int y = 2027; y < 2027 + 400; y++) weekdays.add(seaDay(y).getDayOfWeek());
        assertEquals(Set.of(DayOfWeek.FRIDAY), weekdays);
        int latestYear = 0;
        for (int y : List.of(2033, 2035, 2034, 2032)) {
            if (latestYear == 0 || seaDay(y).getDayOfMonth() > seaDay(latestYear).getDayOfMonth()) latestYear = y;
        }
        for (int y : List.of(2033, 2035, 2034, 2032)) { // the latest is unique
            if (y != latestYear) assertEquals(true, seaDay(y).getDayOfMonth() < seaDay(latestYear).getDayOfMonth());
        }
        answers.check("events-02-q4", latestYear);
        assertEquals(19, mondaySeaDay(2035).getDayOfMonth()); // the Monday reading picks 2035, a distractor
        answers.check("events-02-q5", ChronoUnit.DAYS.between(seaDay(2027), seaDay(2028)));
    }

    // ---- events-03: World Drone Duel Games, Busan ----
    @Test
    void events03_droneDuelGames() {
        int teams = 40, groups = 4, perGroup = teams / groups, advancePerGroup = 4;
        assertEquals(10, perGroup);
        int groupDuels = groups * perGroup * (perGroup - 1) / 2;
        int knockoutTeams = groups * advancePerGroup;
        int knockoutDuels = knockoutTeams - 1 + 1; // single elimination, plus the third-place duel
        int knockoutRounds = Integer.numberOfTrailingZeros(knockoutTeams);
        assertEquals(knockoutTeams, 1 << knockoutRounds);
        answers.check("events-03-q1", groupDuels);
        answers.check("events-03-q2", knockoutDuels);
        answers.check("events-03-q3", (perGroup - 1) + (knockoutRounds - 1) + 1); // semi-final loser: all rounds but the final, plus the third-place duel
        assertEquals(10, (perGroup - 1) + 1);
        answers.check("events-03-q4", knockoutTeams / 2); // losers of the round of 16: 9 group duels + 1
        answers.check("events-03-q5", (perGroup - 1) + knockoutRounds); // the champion flies every round
    }

    // ---- events-04: Larkmoor Heron Line ----
    private static final List<String> HERON = List.of("Quayside", "Mill Street", "Cathedral", "University", "Greenfields", "Airport");
    private static final int[] HERON_RUN = {3, 2, 4, 5, 7};
    private static final int HERON_DWELL = 1, HERON_HEADWAY = 8;
    private static final LocalTime HERON_FIRST = LocalTime.of(5, 36), HERON_LAST = LocalTime.of(0, 24);

    private static int heronMinutes(String from, String to) {
        int a = HERON.indexOf(from), b = HERON.indexOf(to);
        int total = 0;
        for (int i = a; i < b; i++) total += HERON_RUN[i];
        return total + HERON_DWELL * (b - a - 1); // stops at the intermediate stations only
    }

    /** Where a train is {@code minutes} after leaving Quayside. */
    private static String heronWhere(int minutes) {
        int t = 0;
        for (int i = 0; i < HERON_RUN.length; i++) {
            if (minutes < t + HERON_RUN[i]) return "Between " + HERON.get(i) + " and " + HERON.get(i + 1);
            t += HERON_RUN[i];
            if (i + 1 < HERON_RUN.length && minutes < t + HERON_DWELL) return "Standing at " + HERON.get(i + 1);
            t += HERON_DWELL;
        }
        return "Arrived at Airport";
    }

    @Test
    void events04_heronLine() {
        answers.check("events-04-q1", heronMinutes("Quayside", "Airport"));
        answers.check("events-04-q2", heronWhere(10));
        long span = Duration.between(HERON_FIRST, HERON_LAST).plusDays(1).toMinutes(); // last departure is after midnight
        assertEquals(0, span % HERON_HEADWAY);
        answers.check("events-04-q3", span / HERON_HEADWAY + 1);
        LocalTime latest = null;
        for (LocalTime d = HERON_FIRST; d.isBefore(LocalTime.of(7, 0)); d = d.plusMinutes(HERON_HEADWAY)) {
            if (!d.plusMinutes(heronMinutes("Quayside", "Airport")).isAfter(LocalTime.of(7, 0))) latest = d;
        }
        answers.check("events-04-q4", latest.format(HHMM));
        LocalTime t = HERON_FIRST;
        LocalTime arrival = LocalTime.of(7, 10);
        while (t.isBefore(arrival)) t = t.plusMinutes(HERON_HEADWAY);
        answers.check("events-04-q5", Duration.between(arrival, t).toMinutes());
    }

    // ---- events-05: Atlantic Arc Futsal League ----
    private static int futsalGoals(int close, int longRange) {
        return close + 3 * longRange;
    }

    private static int futsalPoints(int goalsFor, int goalsAgainst) {
        int base = goalsFor > goalsAgainst ? 3 : goalsFor == goalsAgainst ? 1 : 0;
        return base + (goalsFor >= 6 ? 1 : 0);
    }

    @Test
    void events05_futsalLeague() {
        int clubs = 12, matches = 3 * (clubs - 1);
        answers.check("events-05-q1", futsalGoals(2, 3));
        answers.check("events-05-q2", futsalPoints(futsalGoals(6, 0), futsalGoals(1, 2)));
        answers.check("events-05-q3", futsalPoints(futsalGoals(0, 3), 7));
        answers.check("events-05-q4", matches);
        assertEquals(matches, 21 + 6 + 6);
        answers.check("events-05-q5", 21 * futsalPoints(1, 0) + 6 * futsalPoints(1, 1) + 6 * futsalPoints(0, 1)
                + 7 * (futsalPoints(6, 0) - futsalPoints(5, 0)) + (11 - 7) * (futsalPoints(5, 0) - futsalPoints(4, 0)));
    }

    // ---- events-06: Lantern-1 lunar orbiter ----
    private static final LocalDate LANTERN_LAUNCH = LocalDate.of(2027, 3, 3);
    private static final LocalDate LANTERN_LOI = LANTERN_LAUNCH.plusDays(112);
    private static final LocalDate LANTERN_MAP_START = LANTERN_LOI.plusDays(30);
    private static final LocalDate LANTERN_MAP_END = LANTERN_MAP_START.plusDays(240);

    private static String lanternPhase(LocalDate d) {
        if (d.isBefore(LANTERN_LAUNCH)) return "Waiting for launch";
        if (d.isBefore(LANTERN_LOI)) return "Still on its way to the Moon";
        if (d.isBefore(LANTERN_MAP_START)) return "Lowering its lunar orbit";
        if (d.isBefore(LANTERN_MAP_END)) return "Mapping from its polar orbit";
        return "Making its far-side impact";
    }

    @Test
    void events06_lantern1() {
        answers.check("events-06-q1", date(LANTERN_LOI));
        answers.check("events-06-q2", date(LANTERN_MAP_END));
        answers.check("events-06-q3", 240 * 24 / 2); // mapping days only, not the 30 days of lowering
        answers.check("events-06-q4", lanternPhase(LocalDate.of(2027, 7, 1)));
        answers.check("events-06-q5", weekday(LANTERN_MAP_START));
    }

    // ---- events-07: Tallowmere Foods + Kelvara Dairy = Tallvara Group ----
    private static long fromKelvara(long kelmarShares) {
        return kelmarShares * 3 / 5; // whole shares; the fraction is paid in cash
    }

    @Test
    void events07_tallvaraMerger() {
        long kelvara = 0;
        while (fromKelvara(kelvara) < 420 || (kelvara * 3) % 5 != 0) kelvara++; // exactly 420, no cash fraction
        assertEquals(420, fromKelvara(kelvara));
        answers.check("events-07-q1", String.format(Locale.US, "%,d", kelvara));
        answers.check("events-07-q2", 100 + fromKelvara(100));
        long whole = fromKelvara(12);
        boolean fraction = (12 * 3) % 5 != 0;
        answers.check("events-07-q3", whole + " shares" + (fraction ? " plus cash" : ", no cash"));
        answers.check("events-07-q4", String.format(Locale.ROOT, "%.2f%%", 100.0 * 1_150 / 18_400));
        answers.check("events-07-q5", ChronoUnit.DAYS.between(LocalDate.of(2027, 12, 31), LocalDate.of(2029, 6, 30)));
    }

    // ---- events-08: Finland's light-EV battery deposit ----
    private static int batteryDeposit(int wh, LocalDate bought) {
        if (wh > 300) return bought.isBefore(LocalDate.of(2027, 3, 1)) ? 0 : 20;
        if (wh >= 100) return bought.isBefore(LocalDate.of(2027, 9, 1)) ? 0 : 10;
        if (wh >= 20) return bought.isBefore(LocalDate.of(2028, 3, 1)) ? 0 : 5;
        return 0;
    }

    @Test
    void events08_batteryDeposit() {
        LocalDate oct15 = LocalDate.of(2027, 10, 15);
        answers.check("events-08-q1", euros(batteryDeposit(250, oct15) + batteryDeposit(400, oct15)));
        LocalDate first = LocalDate.of(2026, 12, 1);
        while (batteryDeposit(60, first) == 0) first = first.plusDays(1);
        answers.check("events-08-q2", date(first));
        LocalDate december = LocalDate.of(2027, 12, 15);
        answers.check("events-08-q3", euros(3L * batteryDeposit(500, december) + 5L * batteryDeposit(150, december)));
        // Any day of December 2027 gives the same deposits.
        for (int day = 1; day <= 31; day++) {
            LocalDate d = LocalDate.of(2027, 12, day);
            assertEquals(batteryDeposit(500, december) + batteryDeposit(150, december),
                    batteryDeposit(500, d) + batteryDeposit(150, d));
        }
        answers.check("events-08-q4", ChronoUnit.DAYS.between(LocalDate.of(2027, 3, 1), LocalDate.of(2028, 3, 1)));
        answers.check("events-08-q5", euros(batteryDeposit(300, LocalDate.of(2027, 7, 20))));
    }

    // ---- events-09: Inti Ridge Marathon, Cusco ----
    private static final LocalTime RIDGE_START = LocalTime.of(6, 30);
    private static final LocalTime RIDGE_CP15 = LocalTime.of(10, 0), RIDGE_CP30 = LocalTime.of(13, 15);
    private static final LocalTime RIDGE_FINISH = RIDGE_START.plusHours(9);

    private static String ridgeOutcome(LocalTime km15, LocalTime km30, LocalTime finish) {
        if (km15.isAfter(RIDGE_CP15)) return "Taken off the course at km 15";
        if (km30.isAfter(RIDGE_CP30)) return "Taken off the course at km 30";
        if (finish.isAfter(RIDGE_FINISH)) return "Taken off the course before the finish";
        return Duration.between(RIDGE_START, finish).toMinutes() < 6 * 60
                ? "Finishes with a gold medal" : "Finishes with a silver medal";
    }

    @Test
    void events09_intiRidgeMarathon() {
        double paceKm15 = Duration.between(RIDGE_START, RIDGE_CP15).toMinutes() / 15.0;
        double paceKm30 = Duration.between(RIDGE_START, RIDGE_CP30).toMinutes() / 30.0;
        double paceFinish = Duration.between(RIDGE_START, RIDGE_FINISH).toMinutes() / 42.2;
        answers.check("events-09-q1", String.format(Locale.ROOT, "%.1f", Math.min(paceKm15, Math.min(paceKm30, paceFinish))));
        // The finish time does not matter once km 30 is missed; any finish time gives the same outcome.
        answers.check("events-09-q2", ridgeOutcome(LocalTime.of(9, 50), LocalTime.of(13, 20), LocalTime.of(14, 0)));
        double pace = 8.7;
        answers.check("events-09-q3", ridgeOutcome(RIDGE_START.plusSeconds(Math.round(15 * pace * 60)),
                RIDGE_START.plusSeconds(Math.round(30 * pace * 60)), RIDGE_START.plusSeconds(Math.round(42.2 * pace * 60))));
        answers.check("events-09-q4", String.format(Locale.ROOT, "%.1f", Duration.between(RIDGE_CP15, RIDGE_CP30).toMinutes() / 15.0));
        long km30Seconds = Math.round(30 / 42.2 * Duration.between(RIDGE_START, RIDGE_FINISH).toSeconds());
        answers.check("events-09-q5", RIDGE_START.plusSeconds(Math.round(km30Seconds / 60.0) * 60).format(HHMM));
    }

    // ---- events-10: Daugava Sound Festival, Riga ----
    private static final LocalDate FEST_FIRST = LocalDate.of(2027, 7, 22), FEST_LAST = LocalDate.of(2027, 7, 25);
    private static final int DAY_TICKET = 65, PASS = 199;

    @Test
    void events10_daugavaFestival() {
        int days = (int) ChronoUnit.DAYS.between(FEST_FIRST, FEST_LAST) + 1;
        assertEquals(4, days);
        long weekdays = FEST_FIRST.datesUntil(FEST_LAST.plusDays(1))
                .filter(d -> d.getDayOfWeek() != DayOfWeek.SATURDAY && d.getDayOfWeek() != DayOfWeek.SUNDAY).count();
        answers.check("events-10-q1", weekdays * 3 * 12);
        answers.check("events-10-q2", euros(days * DAY_TICKET - PASS));
        int payers = 3; // two adults and the 14-year-old; the 10-year-old is under 12
        answers.check("events-10-q3", euros(payers * Math.min(2 * DAY_TICKET, PASS)));
        String smallest = "It never is";
        for (int n = 1; n <= days; n++) {
            if (PASS < n * DAY_TICKET) {
                smallest = Integer.toString(n);
                break;
            }
        }
        answers.check("events-10-q4", smallest);
        int payers5 = 3; // two adults and the 13-year-old, who is not under 12
        assertEquals(true, 3 * DAY_TICKET < PASS); // for three days, day tickets are cheaper than the pass
        answers.check("events-10-q5", euros(payers5 * Math.min(3 * DAY_TICKET, PASS)));
    }

    // ---- events-11: Quillon Aurora kettle recall ----
    private record Kettle(int serial, YearMonth made, boolean greenDot) {}

    private static boolean recalled(Kettle k) {
        return k.serial() >= 40_000 && k.serial() <= 48_999
                && !k.made().isBefore(YearMonth.of(2026, 6)) && !k.made().isAfter(YearMonth.of(2026, 11))
                && !k.greenDot();
    }

    @Test
    void events11_auroraRecall() {
        answers.check("events-11-q1", onlyMatching(
                List.of(new Kettle(48_500, YearMonth.of(2026, 8), false), new Kettle(49_100, YearMonth.of(2026, 9), false),
                        new Kettle(41_200, YearMonth.of(2026, 10), true), new Kettle(45_300, YearMonth.of(2026, 12), false)),
                List.of("AU-48500, made Aug 2026, no dot", "AU-49100, made Sep 2026, no dot",
                        "AU-41200, made Oct 2026, green dot", "AU-45300, made Dec 2026, no dot"),
                EventsAnswersTest::recalled));
        answers.check("events-11-q2", date(LocalDate.of(2027, 2, 8).plusDays(180)));
        answers.check("events-11-q3", 48_999 - 40_000 + 1);
        List<Kettle> cafe = new ArrayList<>();
        for (int i = 0; i < 6; i++) cafe.add(new Kettle(41_000 + i, YearMonth.of(2026, 9), i < 2)); // two with a green dot
        answers.check("events-11-q4", euros(49 * cafe.stream().filter(EventsAnswersTest::recalled).count()));
        answers.check("events-11-q5", ChronoUnit.DAYS.between(LocalDate.of(2026, 6, 1), LocalDate.of(2026, 11, 30)) + 1);
    }

    // ---- events-12: Arctic Deep Time Museum, Tromso ----
    private static final LocalDate MUSEUM_OPENS = LocalDate.of(2027, 6, 12);

    private static boolean museumOpen(LocalDate d) {
        return !d.isBefore(MUSEUM_OPENS) && d.getDayOfWeek() != DayOfWeek.TUESDAY;
    }

    private static boolean firstSunday(LocalDate d) {
        return d.getDayOfWeek() == DayOfWeek.SUNDAY && d.getDayOfMonth() <= 7;
    }

    private static int museumPrice(LocalDate d, int adults) {
        return museumOpen(d) && !firstSunday(d) ? 180 * adults : 0;
    }

    @Test
    void events12_deepTimeMuseum() {
        List<LocalDate> freeDays = MUSEUM_OPENS.datesUntil(LocalDate.of(2029, 1, 1))
                .filter(d -> museumOpen(d) && firstSunday(d)).toList();
        answers.check("events-12-q1", freeDays.size());
        answers.check("events-12-q2", date(freeDays.get(0)));
        LocalDate dec28 = LocalDate.of(2027, 12, 28);
        String q3 = !museumOpen(dec28) ? "No, it is closed that day"
                : firstSunday(dec28) ? "Yes, and admission is free" : "Yes, with a NOK 180 ticket";
        answers.check("events-12-q3", q3);
        answers.check("events-12-q4", LocalDate.of(2028, 8, 1).datesUntil(LocalDate.of(2028, 9, 1))
                .filter(EventsAnswersTest::museumOpen).count());
        assertEquals(4L, LocalDate.of(2028, 8, 1).datesUntil(LocalDate.of(2028, 9, 1))
                .filter(d -> d.getDayOfWeek() == DayOfWeek.MONDAY).count()); // a Monday closure would give 27
        LocalDate aug1 = LocalDate.of(2027, 8, 1);
        assertEquals(true, museumOpen(aug1));
        answers.check("events-12-q5", "NOK " + museumPrice(aug1, 2)); // the 15-year-old is always free
    }

    // ---- events-13: Halden Prize for Open Hardware ----
    private static LocalDate haldenAward(int n) {
        return haldenAward(n, 20);
    }

    private static LocalDate haldenAward(int n, int everyMonths) {
        return LocalDate.of(2027, 3, 10).plusMonths((long) everyMonths * (n - 1));
    }

    /** The number of awards made by the end of {@code year}. */
    private static int haldenAwardsBy(int year) {
        int n = 0;
        while (haldenAward(n + 1).getYear() <= year) n++;
        return n;
    }

    @Test
    void events13_haldenPrize() {
        int purse = 600_000, maxLaureates = 4;
        answers.check("events-13-q1", date(haldenAward(2)));
        int n = 1;
        while (haldenAward(n).getYear() < 2035) n++;
        answers.check("events-13-q2", "The " + n + (n == 1 ? "st" : n == 2 ? "nd" : n == 3 ? "rd" : "th"));
        answers.check("events-13-q3", String.format(Locale.US, "CHF %,d", purse / 2 - purse / maxLaureates));
        answers.check("events-13-q4", haldenAwardsBy(2031) * maxLaureates); // nobody wins twice
        answers.check("events-13-q5", String.format(Locale.US, "CHF %,d", (long) haldenAwardsBy(2036) * purse));
        // an 18-month interval (the neighbouring reading) lands on distractors: 10 September 2028, the 7th, 16, CHF 4,200,000
        assertEquals("10 September 2028", date(haldenAward(2, 18)));
        assertEquals(7, haldenAward(7, 18).getYear() >= 2035 && haldenAward(6, 18).getYear() < 2035 ? 7 : -1);
        assertEquals(LocalDate.of(2031, 9, 10), haldenAward(4, 18));
        assertEquals(LocalDate.of(2036, 3, 10), haldenAward(7, 18));
    }

    // ---- events-14: Halyard Air, Singapore (UTC+8) - Nairobi (UTC+3) ----
    private static final ZoneOffset SIN = ZoneOffset.ofHours(8), NBO = ZoneOffset.ofHours(3);

    private static ZonedDateTime landsInNairobi(LocalDate departureDay) {
        return ZonedDateTime.of(LocalDateTime.of(departureDay, LocalTime.of(23, 40)), SIN)
                .plusHours(9).plusMinutes(35).withZoneSameInstant(NBO);
    }

    @Test
    void events14_halyardAir() {
        // The offsets in the news are the real ones (no daylight saving in either city).
        LocalDateTime feb2027 = LocalDateTime.of(2027, 2, 2, 12, 0);
        assertEquals(SIN, ZoneId.of("Asia/Singapore").getRules().getOffset(feb2027));
        assertEquals(NBO, ZoneId.of("Africa/Nairobi").getRules().getOffset(feb2027));

        LocalDate first = LocalDate.of(2027, 2, 2);
        assertEquals(DayOfWeek.TUESDAY, first.getDayOfWeek());
        answers.check("events-14-q1", landsInNairobi(first).toLocalTime().format(HHMM));
        LocalDate aSaturday = first.with(TemporalAdjusters.next(DayOfWeek.SATURDAY));
        answers.check("events-14-q2", weekday(landsInNairobi(aSaturday).toLocalDate()));
        Set<DayOfWeek> outbound = Set.of(DayOfWeek.TUESDAY, DayOfWeek.THURSDAY, DayOfWeek.SATURDAY);
        answers.check("events-14-q3", first.datesUntil(LocalDate.of(2028, 1, 1))
                .filter(d -> outbound.contains(d.getDayOfWeek())).count());
        ZonedDateTime deadline = ZonedDateTime.of(LocalDateTime.of(2027, 2, 12, 9, 0), NBO);
        LocalDate latest = null;
        for (LocalDate d = first; !d.isAfter(LocalDate.of(2027, 2, 12)); d = d.plusDays(1)) {
            if (outbound.contains(d.getDayOfWeek()) && !landsInNairobi(d).isAfter(deadline)) latest = d;
        }
        answers.check("events-14-q4", weekday(latest) + " " + latest.format(DAY_MONTH));
        LocalDate aWednesday = first.plusDays(1);
        ZonedDateTime back = ZonedDateTime.of(LocalDateTime.of(aWednesday, LocalTime.of(6, 30)), NBO)
                .plusHours(9).plusMinutes(5).withZoneSameInstant(SIN);
        answers.check("events-14-q5", back.toLocalTime().format(HHMM));
    }

    // ---- events-15: Northmere Regional Authority mayoral election ----
    private static final LocalDate NORTHMERE_VOTE = LocalDate.of(2027, 5, 6);
    private static final LocalDate NORTHMERE_RUNOFF = NORTHMERE_VOTE.plusDays(14);

    private static LocalDate takesOffice(LocalDate decidingVote) {
        return decidingVote.with(TemporalAdjusters.next(DayOfWeek.MONDAY)).plusWeeks(1); // the second Monday strictly after
    }

    private static String firstRound(List<String> names, List<Integer> sharesPct) {
        // names and shares are in descending order of share
        boolean outright = sharesPct.get(0) >= 40 && sharesPct.get(0) - sharesPct.get(1) >= 12;
        if (outright) return names.get(0) + " is elected mayor outright";
        return "A runoff between " + names.get(0) + " and " + names.get(1);
    }

    @Test
    void events15_northmereMayor() {
        int members = 31, present = members - 4;
        int needed = (3 * members + 4) / 5; // three-fifths of all members, present or not, rounded up
        assertEquals(19, needed);
        assertEquals(true, present >= needed);
        answers.check("events-15-q1", needed);
        assertEquals("A runoff between Ash and Birch", firstRound(List.of("Ash", "Birch", "Cole"), List.of(42, 31, 27)));
        answers.check("events-15-q2", firstRound(List.of("Ash", "Birch", "Cole"), List.of(42, 31, 27)));
        answers.check("events-15-q3", date(takesOffice(NORTHMERE_VOTE)));
        String round = firstRound(List.of("Ash", "Birch", "Cole"), List.of(41, 33, 26));
        assertEquals("A runoff between Ash and Birch", round);
        answers.check("events-15-q4", date(takesOffice(NORTHMERE_RUNOFF)));
        int maxRunnerUp = -1;
        for (int b = 0; b <= 44; b++) {
            if (firstRound(List.of("Ash", "Birch"), List.of(44, b)).endsWith("outright")) maxRunnerUp = b;
        }
        answers.check("events-15-q5", maxRunnerUp + "%");
    }
}
