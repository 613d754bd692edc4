package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.news.NewsItem.Question;
import absorb.news.NewsShortcuts.SharedValue;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each shortcut definition on a hand-made question whose answer is known (dates as Python's date.toordinal()). */
class NewsShortcutsTest {
    private static Rational r(String decimal) {
        return Rational.of(new BigDecimal(decimal));
    }

    private static List<Rational> rs(String... decimals) {
        return java.util.Arrays.stream(decimals).map(NewsShortcutsTest::r).toList();
    }

    private static Question q(String question, int answer, String... options) {
        return new Question("t-01-q1", question, List.of(options), answer, "hand-made");
    }

    private static Map<String, List<Integer>> picks(int answer, String... options) {
        return NewsShortcuts.picks(q("Which one?", answer, options), "Nothing here.");
    }

    @Test
    void datesCountInDays() {
        // date(2027, 6, 6).toordinal() = 740138; a date without a year is in 2000, one without a day on the 1st
        assertEquals(rs("740138", "740133", "730277", "740163"),
                NewsShortcuts.values(List.of("6 June 2027", "June 2027", "June 6", "1 July, 2027")));
        assertEquals(rs("740138", "740133", "730277", "740163"),
                NewsShortcuts.values(List.of("June 6, 2027", "june 2027", "6 June", "July 1 2027")));
        // 30 February runs on to 2 March, so two options are one date and the question is not numeric
        assertNull(NewsShortcuts.values(List.of("30 February 2027", "March 2 2027", "May 1", "2 May")));
    }

    @Test
    void clockTimesCountInMinutes() {
        assertEquals(rs("545", "935", "1439", "0"), NewsShortcuts.values(List.of("9:05", "15:35", " 23:59", "0:00")));
    }

    @Test
    void numbersNeedOneShape() {
        assertEquals(rs("1.1", "-2", "1250", "3"), NewsShortcuts.values(List.of("$1.10", "$\u22122", "$1,250", "$3")));
        assertNull(NewsShortcuts.values(List.of("1st", "2nd", "3rd", "4th")), "suffixes differ");
        assertNull(NewsShortcuts.values(List.of("12 minutes", "13 minutes", "14 hours", "15 minutes")), "a unit differs");
        assertNull(NewsShortcuts.values(List.of("12 min", "13 min", "14 min", "2 by 3 min")), "two numbers in one option");
        assertNull(NewsShortcuts.values(List.of("12 min", "12.0 min", "14 min", "15 min")), "12 and 12.0 are one value");
        assertNull(NewsShortcuts.values(List.of("red", "green", "blue", "grey")));
    }

    @Test
    void keyRankIsThePlaceSmallestFirst() {
        assertEquals(3, NewsShortcuts.keyRank(rs("40", "-3", "12", "7"), 2));
        assertEquals(1, NewsShortcuts.keyRank(rs("40", "-3", "12", "7"), 1));
    }

    @Test
    void tiesShareTheCredit() {
        assertEquals(0.5, NewsShortcuts.credit(List.of(0, 2), 2));
        assertEquals(1.0 / 3, NewsShortcuts.credit(List.of(0, 1, 2), 1));
        assertEquals(0.0, NewsShortcuts.credit(List.of(0, 2), 1));
        assertEquals(0.25, NewsShortcuts.credit(List.of(), 1), "a heuristic that does not apply guesses");
        Map<String, List<Integer>> p = picks(3, "alpha", "be", "gamma", "delta");
        assertEquals(List.of(0, 2, 3), p.get("longest"));
        assertEquals(List.of(), p.get("middle"), "not numeric");
    }

    @Test
    void eachRelationOfMostRelated() {
        assertTrue(NewsShortcuts.related(r("2"), r("4")), "twice");
        assertTrue(NewsShortcuts.related(r("4"), r("2")), "half");
        assertTrue(NewsShortcuts.related(r("0.3"), r("3")), "ten times");
        assertTrue(NewsShortcuts.related(r("30"), r("3")), "a tenth");
        assertTrue(NewsShortcuts.related(r("5"), r("-5")), "the negative");
        assertTrue(NewsShortcuts.related(r("0.5"), r("1.5")), "one apart");
        assertFalse(NewsShortcuts.related(r("0"), r("5")));
        assertFalse(NewsShortcuts.related(r("2"), r("5")));
        assertFalse(NewsShortcuts.related(r("0.3"), r("0.6000001")));
        // 3 ~ 6 (twice), 6 ~ 7 (one apart): 6 is related to two others, 3 and 7 to one, 40 to none
        Map<String, List<Integer>> p = picks(1, "3", "6", "7", "40");
        assertEquals(List.of(1), p.get("most_related"));
        assertEquals(List.of(1, 2), p.get("middle"));
        assertEquals(List.of(1), p.get("middle_most_related"));
        assertEquals(List.of(), picks(0, "3", "5", "8.5", "40").get("most_related"), "nothing related: a guess");
        assertEquals(List.of(1, 2), picks(0, "3", "5", "8.5", "40").get("middle_most_related"), "a tie in the middle");
    }

    @Test
    void recoverableBySumQuotientAndExactProduct() {
        assertTrue(NewsShortcuts.recoverable(r("12"), rs("5", "7", "40")), "5 + 7");
        assertTrue(NewsShortcuts.recoverable(r("1.5"), rs("3", "2", "11")), "3 / 2");
        assertTrue(NewsShortcuts.recoverable(r("0.3"), rs("0.1", "3", "50")), "0.1 * 3, exactly");
        assertTrue(NewsShortcuts.recoverable(r("4"), rs("3", "5", "11")), "the mean of 3 and 5");
        assertTrue(NewsShortcuts.recoverable(r("13"), rs("2", "4", "7")), "the sum of all three");
        assertFalse(NewsShortcuts.recoverable(r("100"), rs("2", "4", "7")));
        assertFalse(NewsShortcuts.recoverable(r("5"), rs("0", "2", "11")), "no division by 0");
        // a sum recovers its parts as differences: 12 = 5 + 7, 5 = 12 - 7, 7 = 12 - 5; 40 is none of the three's
        assertEquals(List.of(0, 1, 2), picks(0, "12 kg", "5 kg", "7 kg", "40 kg").get("recoverable"));
    }

    @Test
    void consecutiveMiddle() {
        assertEquals(List.of(1), picks(1, "13", "12", "11", "40").get("consecutive_middle"));
        assertEquals(List.of(), picks(1, "12.5", "11.5", "13.5", "40").get("consecutive_middle"), "not integers");
        assertEquals(List.of(), picks(1, "10", "12", "14", "40").get("consecutive_middle"));
    }

    @Test
    void wordOverlapTiesAndNone() {
        Question river = q("Which river crosses the northern valley?", 1,
                "the Northern river", "one river valley", "lake", "sea");
        Map<String, List<Integer>> p = NewsShortcuts.picks(river, "A lake lies in the valley.");
        // {the, northern, river} and {one, river, valley} share 3 and 2 words with the question ...
        assertEquals(List.of(0), p.get("overlap_question"));
        // ... and {the}, {valley}, {lake} one each with the news
        assertEquals(List.of(0, 1, 2), p.get("overlap_news"));
        assertEquals(1.0 / 3, NewsShortcuts.credit(p.get("overlap_news"), river.answer()));
        Map<String, List<Integer>> none = NewsShortcuts.picks(q("Why?", 0, "red", "green", "blue", "grey"), "Unrelated.");
        assertEquals(List.of(), none.get("overlap_question"));
        assertEquals(List.of(), none.get("overlap_news"));
    }

    @Test
    void sharedValuesSkipSmallIntegers() {
        NewsItem item = new NewsItem("t-01", "test", "T", "News.", List.of(
                new Question("t-01-q1", "A?", List.of("25 m", "3 m", "2.5 m", "40 m"), 0, "r"),
                new Question("t-01-q2", "B?", List.of("25 s", "3 s", "7 s", "2.5 s"), 3, "r"),
                new Question("t-01-q3", "C?", List.of("1 or 25", "3", "2.5", "9"), 1, "r"),
                new Question("t-01-q4", "D?", List.of("40", "41", "42", "43"), 1, "r")));
        assertEquals(List.of(
                new SharedValue("t-01", "2.5", List.of("t-01-q1", "t-01-q2", "t-01-q3"), List.of("t-01-q2")),
                new SharedValue("t-01", "25", List.of("t-01-q1", "t-01-q2", "t-01-q3"), List.of("t-01-q1"))),
                NewsShortcuts.sharedValues(item), "3 is in three questions but a small integer; 40 in only two");
    }

    @Test
    void valuesPrintAsPythonDoes() {
        assertEquals("25", r("25.00").toString());
        assertEquals("2.5", r("2.50").toString());
        assertEquals("0.3333333333333333", Rational.ONE.dividedBy(Rational.of(3)).toString());
        assertEquals("1e-05", r("0.00001").toString());
        assertEquals("0.0001", r("0.0001").toString());
        assertEquals("123456.5", r("123456.5").toString());
        assertEquals("1e+16", Rational.pythonRepr(1e16));
        assertEquals("-1.5e-07", r("-0.00000015").toString());
    }
}
