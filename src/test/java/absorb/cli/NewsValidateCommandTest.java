package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NewsValidateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void bundledSetValidates() {
        assertEquals(0, Cli.run("newnews", "validate").exit);
    }

    @Test
    void brokenFileExitsTwo() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"id\": 1}\n");
        assertEquals(2, Cli.run("newnews", "validate", f.toString()).exit);
    }

    @Test
    void missingFileIsOneSentence() {
        Cli r = Cli.run("newnews", "validate", tmp.resolve("none.jsonl").toString());
        assertEquals(2, r.exit);
        assertTrue(r.oneLine() && r.err.contains("does not exist"), r.toString());
    }
}
