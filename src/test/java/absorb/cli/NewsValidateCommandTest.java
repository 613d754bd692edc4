package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.news.NewsDataset;
import absorb.news.NewsShortcuts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Test
    void shortcutsOfTheBundledSet() throws IOException {
        Cli r = Cli.run("newnews", "validate", "--shortcuts");
        assertEquals(0, r.exit, r.toString());
        String table = NewsValidateCommand.shortcutTable(NewsShortcuts.measure(NewsDataset.load(NewsDataset.BUNDLED)));
        assertTrue(r.out.contains("ok\n" + table), r.toString());
        for (String row : List.of("questions", "numeric", "key rank 1", "key rank 4", "chance", "shared values")) {
            assertTrue(table.contains(row), row + " in\n" + table);
        }
        for (String h : NewsShortcuts.HEURISTICS) assertTrue(table.contains("  " + h + " "), h + " in\n" + table);
        assertTrue(table.lines().anyMatch(l -> l.matches(" +math +coding +discoveries +leaderboards +events")), table);
    }

    @Test
    void shortcutsOfTheControlSetDespiteItsDomain() {
        Cli r = Cli.run("newnews", "validate", "--shortcuts", "data/newnews/control.jsonl");
        // the strict check still refuses the domain name, once per item; the shortcuts are measured all the same
        assertEquals(2, r.exit, r.toString());
        assertEquals(20, r.out.lines().filter(l -> l.contains("domain control is not one of")).count(), r.toString());
        assertTrue(r.out.contains("20 problem(s).") && r.err.isEmpty(), r.toString());
        assertTrue(r.out.lines().anyMatch(l -> l.matches(" +control")), r.toString());
        assertTrue(r.out.lines().anyMatch(l -> l.matches(" +questions +100")), r.toString());
        assertTrue(r.out.lines().anyMatch(l -> l.matches(" +chance +0\\.250")), r.toString());
    }

    @Test
    void shortcutsOfABrokenFileAreOneSentence() throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, "{\"id\": 1}\n");
        Cli r = Cli.refused("problem(s)", "newnews", "validate", "--shortcuts", f.toString());
        assertTrue(r.out.contains("problem: line 1"), r.toString());
        Cli.refused("does not exist", "newnews", "validate", "--shortcuts", tmp.resolve("none.jsonl").toString());
    }
}
