package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;

import absorb.news.NewsShortcuts.Figures;
import absorb.news.NewsShortcuts.SharedValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Java shortcut figures of the bundled benchmark equal those of the independent Python reference,
 * {@code python3 tools/newnews_shortcuts.py --fixture}, read from the fixture it writes (both files are read from disk,
 * since the data and the fixture are rewritten together).
 */
class ShortcutFiguresTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/news/shortcuts.json");
    private static final double TOLERANCE = 1e-6;

    @Test
    void bundledFiguresEqualThePythonReference() throws IOException {
        assertSameFigures(new ObjectMapper().readTree(FIXTURE.toFile()),
                NewsShortcuts.measure(NewsDataset.load(NewsDataset.BUNDLED)));
    }

    /** {@code measured} equals the reference's figures: counts and flags exactly, shares and accuracies to 1e-6. */
    static void assertSameFigures(JsonNode expected, List<Figures> measured) {
        TreeSet<String> names = new TreeSet<>();
        expected.fieldNames().forEachRemaining(names::add);
        assertEquals(names, new TreeSet<>(measured.stream().map(Figures::domain).toList()), "domains");
        for (Figures d : measured) {
            JsonNode e = expected.get(d.domain());
            String at = d.domain() + ": ";
            assertEquals(e.get("questions").asInt(), d.questions(), at + "questions");
            assertEquals(e.get("numeric").asInt(), d.numeric(), at + "numeric");
            for (int rank = 1; rank <= NewsValidator.OPTIONS; rank++) {
                assertEquals(e.get("ranks").get(rank - 1).asInt(), d.keyRanks().get(rank - 1), at + "key rank " + rank);
                assertEquals(e.get("rank_shares").get(rank - 1).asDouble(), d.rankShare(rank), TOLERANCE,
                        at + "key rank " + rank + " share");
            }
            for (String h : NewsShortcuts.HEURISTICS) {
                assertEquals(e.get("heuristics").get(h).asDouble(), d.accuracy().get(h), TOLERANCE, at + h);
                assertEquals(e.get("applies").get(h).asInt(), d.applies().get(h), at + h + " applies");
            }
            assertEquals(sharedValues(e.get("shared_values")), d.sharedValues(), at + "shared values");
        }
    }

    private static List<SharedValue> sharedValues(JsonNode flags) {
        List<SharedValue> out = new ArrayList<>();
        for (JsonNode f : flags) {
            out.add(new SharedValue(f.get("item").asText(), f.get("value").asText(), texts(f.get("questions")),
                    texts(f.get("keyed_in"))));
        }
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
