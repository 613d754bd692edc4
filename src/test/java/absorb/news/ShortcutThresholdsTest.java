package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.news.NewsShortcuts.Figures;
import absorb.news.NewsShortcuts.SharedValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark gives its keys away through the options alone no more than chance allows: in every domain no
 * option-only heuristic scores above 0.30, each key rank holds 20-30% of the numeric questions, and no item repeats a
 * value across three questions' options.
 */
class ShortcutThresholdsTest {
    static final double MAX_ACCURACY = 0.30;
    static final double MIN_RANK_SHARE = 0.20, MAX_RANK_SHARE = 0.30;

    @TempDir
    Path tmp;

    @Test
    void bundledBenchmarkHasNoOptionOnlyShortcut() throws IOException {
        List<String> v = violations(NewsDataset.BUNDLED);
        assertTrue(v.isEmpty(), v.size() + " shortcut threshold(s) broken in " + NewsDataset.BUNDLED + ":\n  "
                + String.join("\n  ", v));
    }

    @Test
    void balancedFileMeetsTheThresholds() throws IOException {
        // four unrelated values (no two twice, ten times, one apart; none a sum, product or mean of two others), the
        // key at each rank twice, each value in two questions of an item
        StringBuilder lines = new StringBuilder();
        for (int item = 1; item <= 4; item++) {
            List<String> questions = new ArrayList<>();
            for (int k = 1; k <= 2; k++) {
                int answer = (2 * item + k) % 4;
                questions.add(question("synthetic-0" + item + "-q" + k, "How far is it?", answer,
                        "11 km", "23 km", "37 km", "52 km"));
            }
            lines.append(item("synthetic-0" + item, "Distances were measured.", questions));
        }
        assertEquals(List.of(), violations(write(lines.toString())));
    }

    @Test
    void skewedFileListsEachViolation() throws IOException {
        // the key 8 is always rank 3, a middle option, and 3 + 5, whose parts are its differences with them
        List<String> questions = new ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            questions.add(question("synthetic-01-q" + k, "How heavy?", 2, "3 kg", "5 kg", "8 kg", "41 kg"));
        }
        assertEquals(List.of(
                "synthetic: key rank 1 holds 0 of 3 numeric questions (0.000), outside [0.20, 0.30]",
                "synthetic: key rank 2 holds 0 of 3 numeric questions (0.000), outside [0.20, 0.30]",
                "synthetic: key rank 3 holds 3 of 3 numeric questions (1.000), outside [0.20, 0.30]",
                "synthetic: key rank 4 holds 0 of 3 numeric questions (0.000), outside [0.20, 0.30]",
                "synthetic: middle scores 0.500, above 0.30",
                "synthetic: middle_most_related scores 0.500, above 0.30",
                "synthetic: recoverable scores 0.333, above 0.30",
                "synthetic: shared value synthetic-01: 41 in the options of q1, q2, q3; the key of none"),
                violations(write(item("synthetic-01", "Weights were taken.", questions))));
    }

    /** Every threshold {@code file}'s shortcut figures break, one line each naming the domain, the measure, the value. */
    static List<String> violations(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (Figures d : NewsShortcuts.measure(NewsDataset.load(file, true))) {
            for (int rank = 1; d.numeric() > 0 && rank <= NewsValidator.OPTIONS; rank++) {
                double share = d.rankShare(rank);
                if (share < MIN_RANK_SHARE || share > MAX_RANK_SHARE) {
                    out.add(String.format(Locale.ROOT, "%s: key rank %d holds %d of %d numeric questions (%.3f),"
                            + " outside [%.2f, %.2f]", d.domain(), rank, d.keyRanks().get(rank - 1), d.numeric(), share,
                            MIN_RANK_SHARE, MAX_RANK_SHARE));
                }
            }
            for (String h : NewsShortcuts.HEURISTICS) {
                double a = d.accuracy().get(h);
                if (a > MAX_ACCURACY) {
                    out.add(String.format(Locale.ROOT, "%s: %s scores %.3f, above %.2f", d.domain(), h, a, MAX_ACCURACY));
                }
            }
            for (SharedValue s : d.sharedValues()) out.add(d.domain() + ": shared value " + s.describe());
        }
        return out;
    }

    private Path write(String jsonl) throws IOException {
        Path f = tmp.resolve("synthetic.jsonl");
        Files.writeString(f, jsonl);
        return f;
    }

    private static String item(String id, String news, List<String> questions) {
        return String.format(Locale.ROOT, "{\"id\": \"%s\", \"domain\": \"synthetic\", \"title\": \"T\", \"news\": \"%s\","
                + " \"questions\": [%s]}%n", id, news, String.join(", ", questions));
    }

    private static String question(String id, String text, int answer, String... options) {
        return String.format(Locale.ROOT, "{\"id\": \"%s\", \"question\": \"%s\", \"options\": [\"%s\"], \"answer\": %d,"
                + " \"rationale\": \"r\"}", id, text, String.join("\", \"", options), answer);
    }
}
