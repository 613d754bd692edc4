package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NewsValidatorTest {
    @TempDir
    Path tmp;

    private static final String GOOD = """
            {"id": "math-01", "domain": "math", "title": "Addiplication", "news": "Define x ⊕ y = (x+y)*y.", \
            "questions": [{"id": "math-01-q1", "question": "What is 3 ⊕ 4?", "options": ["28", "12", "7", "21"], \
            "answer": 0, "rationale": "(3+4)*4 = 28."}]}
            """;

    private Path write(String content) throws IOException {
        Path f = tmp.resolve("set.jsonl");
        Files.writeString(f, content);
        return f;
    }

    private static void assertProblem(NewsValidator.Report r, String fragment) {
        assertTrue(r.problems().stream().anyMatch(p -> p.contains(fragment)),
                "expected a problem containing '" + fragment + "' in " + r.problems());
    }

    @Test
    void bundledBenchmarkPassesWithFullCounts() {
        NewsValidator.Report r = NewsValidator.validate(NewsDataset.BUNDLED, true);
        assertEquals(List.of(), r.problems());
        assertEquals(75, r.items());
        assertEquals(375, r.questions());
        for (String d : NewsValidator.DOMAINS) assertEquals(15, r.perDomain().get(d), d);
        for (int p : r.answerPositions()) assertTrue(Math.abs(p - 375 / 4.0) <= 1, "balanced positions");
    }

    @Test
    void bundledBenchmarkLoads() throws IOException {
        List<NewsItem> items = NewsDataset.load(NewsDataset.BUNDLED);
        assertEquals(75, items.size());
        assertEquals(5, items.get(0).questions().size());
    }

    @Test
    void smallUserSetPassesWithoutBenchmarkCounts() throws IOException {
        Path f = write(GOOD);
        assertTrue(NewsValidator.validate(f, false).ok());
        NewsValidator.Report full = NewsValidator.validate(f, true);
        assertProblem(full, "has 1 questions; the benchmark has 5 per item");
        assertProblem(full, "domain coding: has 0 items");
    }

    @Test
    void reportsEveryProblemWithItsId() throws IOException {
        String bad = String.join("\n",
                "{not json",
                GOOD.strip(),
                GOOD.strip(), // duplicate ids
                "{\"id\": \"x-1\", \"domain\": \"cooking\", \"title\": \"t\", \"news\": \"n\", \"extra\": 1, \"questions\": ["
                        + "{\"id\": \"x-1-q1\", \"question\": \"Q?\", \"options\": [\"a\", \"a\", \"\", \"Q?\"], \"answer\": 4,"
                        + " \"rationale\": \"r\"},"
                        + "{\"id\": \"x-1-q2\", \"question\": \"Q2?\", \"options\": [\"a\", \"b\", \"c\"], \"answer\": 1,"
                        + " \"rationale\": \"\"},"
                        + "{\"id\": \"y-q3\", \"question\": \"Q3?\", \"options\": [\"a\", \"b\", \"c\", \"d\"], \"answer\": 1}]}",
                "{\"id\": \"math-02\", \"domain\": \"math\", \"news\": \"n\", \"questions\": []}");
        NewsValidator.Report r = NewsValidator.validate(write(bad), false);
        assertProblem(r, "line 1: not valid JSON");
        assertProblem(r, "math-01: duplicate id");
        assertProblem(r, "math-01-q1: duplicate id");
        assertProblem(r, "x-1: domain cooking is not one of");
        assertProblem(r, "x-1: unknown key extra");
        assertProblem(r, "x-1-q1: option \"a\" appears twice");
        assertProblem(r, "x-1-q1: an option is empty");
        assertProblem(r, "x-1-q1: an option repeats the question");
        assertProblem(r, "x-1-q1: answer must be an integer from 0 to 3");
        assertProblem(r, "x-1-q2: options must be a list of 4 strings");
        assertProblem(r, "x-1-q2: rationale must be a non-empty string");
        assertProblem(r, "y-q3: id does not start with x-1-");
        assertProblem(r, "y-q3: missing key rationale");
        assertProblem(r, "math-02: missing key title");
        assertProblem(r, "math-02: questions must be a non-empty list");
    }

    @Test
    void loaderRefusesAFileWithProblems() throws IOException {
        Path f = write(GOOD.replace("\"answer\": 0", "\"answer\": 7"));
        AbsorbException e = assertThrows(AbsorbException.class, () -> NewsDataset.load(f));
        assertTrue(e.getMessage().contains("math-01-q1"), e.getMessage());
    }

    @Test
    void imbalancedAnswersAreAProblemForTheBenchmark() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String d : NewsValidator.DOMAINS) {
            for (int i = 1; i <= 15; i++) {
                String id = String.format("%s-%02d", d, i);
                sb.append("{\"id\": \"").append(id).append("\", \"domain\": \"").append(d)
                        .append("\", \"title\": \"t\", \"news\": \"n\", \"questions\": [");
                for (int q = 1; q <= 5; q++) {
                    sb.append(q > 1 ? "," : "").append("{\"id\": \"").append(id).append("-q").append(q)
                            .append("\", \"question\": \"Q?\", \"options\": [\"the longest option\", \"b\", \"c\", \"d\"],"
                                    + " \"answer\": 0, \"rationale\": \"r\"}");
                }
                sb.append("]}\n");
            }
        }
        NewsValidator.Report r = NewsValidator.validate(write(sb.toString()), true);
        assertProblem(r, "answer balance: option A is correct 375 times");
        assertProblem(r, "the correct option is the longest in 375 of 375");
    }
}
