package absorb.news;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Problems that concern an item without an id name its line; broken JSON names the column and what was expected. */
class NewsValidatorMessagesTest {
    @TempDir
    Path tmp;

    @Test
    void problemsWithoutAnIdNameTheLine() throws IOException {
        Path f = tmp.resolve("set.jsonl");
        Files.writeString(f, "\n{\"idd\": \"math-01\", \"domain\": \"math\", \"title\": \"t\", \"news\": \"n\", \"questions\": []}\n"
                + "{\"id\": \"math-02\", \"domain\": \"math\" \"title\": \"t\"}\n");
        NewsValidator.Report r = NewsValidator.validate(f, false);
        assertTrue(r.problems().contains("line 2: unknown key idd"), r.problems().toString());
        assertTrue(r.problems().contains("line 3: not valid JSON at column 36: expected ',' or '}' after a value, found '\"'"),
                r.problems().toString());
    }
}
