package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Checks shipped answers against values recomputed by code: the keyed option must be exactly the computed
 * text, and no other option may equal it.
 */
final class AnswerCheck {
    private final Map<String, NewsItem.Question> questions = new HashMap<>();

    /** The file under test: the bundled set, or -Dabsorb.news.file=PATH while a part is being written. */
    static AnswerCheck forBundledSet() {
        String override = System.getProperty("absorb.news.file");
        return new AnswerCheck(override != null ? Path.of(override) : NewsDataset.BUNDLED);
    }

    AnswerCheck(Path file) {
        this(file, false);
    }

    /** As above; with {@code anyDomain} the file may name domains of its own (the control questions). */
    AnswerCheck(Path file, boolean anyDomain) {
        try {
            for (NewsItem item : NewsDataset.load(file, anyDomain)) {
                for (NewsItem.Question q : item.questions()) questions.put(q.id(), q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts that question {@code id} keys the option {@code computed}, and that it is the only such option. */
    void check(String id, String computed) {
        NewsItem.Question q = questions.get(id);
        assertNotNull(q, "no question " + id);
        assertEquals(computed, q.correctOption(), id + ": keyed option differs from the recomputed answer");
        long same = q.options().stream().filter(computed::equals).count();
        assertEquals(1, same, id + ": the recomputed answer appears in more than one option");
    }

    void check(String id, long computed) {
        check(id, Long.toString(computed));
    }
}
