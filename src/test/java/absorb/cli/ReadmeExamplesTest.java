package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's examples run as written: the command lines of its examples block that use files and folders the README
 * names (fine-tuning on the files in examples/, resuming, continuing the adapter, merging it) are run in order, with
 * /tmp/ moved to a temporary folder. The other commands (generation, at 256 tokens a few seconds each, bench, the graph
 * study, toy pretraining) have tests of their own.
 */
class ReadmeExamplesTest {
    private static final Set<String> RUN = Set.of("info", "finetune", "merge");

    @TempDir
    Path tmp;

    @Test
    void theExamplesRunAsWritten() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("```bash\nM=");
        assertTrue(start >= 0, "the README has its examples block");
        String block = readme.substring(start, readme.indexOf("```\n", start + 8));
        String model = block.lines().filter(l -> l.startsWith("M=")).findFirst().orElseThrow().substring(2);
        int ran = 0;
        for (String line : block.lines().toList()) {
            if (!line.startsWith("./absorb ")) continue;
            List<String> args = words(line.replace("$M", model).replace("/tmp/", tmp + "/"));
            if (!RUN.contains(args.get(0))) continue;
            for (String a : args) {
                if (a.endsWith(".jsonl")) assertTrue(Files.isRegularFile(Path.of(a)), "the README names " + a + ": it ships");
            }
            Cli c = Cli.run(args.toArray(String[]::new));
            assertEquals(0, c.exit, line + ": " + c);
            ran++;
        }
        assertTrue(ran >= 5, "ran " + ran + " examples");
    }

    /** The words of a shell command line after "./absorb", double quotes grouping, a trailing # comment dropped. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false, any = false;
        for (char ch : line.substring("./absorb ".length()).toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
                any = true;
            } else if (ch == '#' && !quoted && w.length() == 0) {
                break;
            } else if (Character.isWhitespace(ch) && !quoted) {
                if (any) out.add(w.toString());
                w.setLength(0);
                any = false;
            } else {
                w.append(ch);
                any = true;
            }
        }
        if (any) out.add(w.toString());
        return out;
    }
}
