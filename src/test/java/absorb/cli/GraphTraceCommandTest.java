package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The graph-trace commands as a user types them, on the bundled model with short contexts. */
class GraphTraceCommandTest {
    private static final String MODEL = DemoCommand.BUNDLED;
    private static final String[] SHORT = {"--context", "48", "--window", "24", "--batch", "4", "--positions", "8"};

    @TempDir
    Path tmp;

    private static String[] args(String[] head, String... more) {
        String[] all = new String[head.length + SHORT.length + more.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(SHORT, 0, all, head.length, SHORT.length);
        System.arraycopy(more, 0, all, head.length + SHORT.length, more.length);
        return all;
    }

    @Test
    void oneRunWritesItsFolder() throws IOException {
        Path out = tmp.resolve("grid");
        Cli c = Cli.run(args(new String[] {"graph-trace", "--model", MODEL, "--graph", "grid:3x3", "--out", out.toString()}));
        assertEquals(0, c.exit, c.toString());
        for (String f : new String[] {"config.json", "sequences.json", "metrics.json", "report.html", "accuracy.png", "energy.svg"}) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(m.get("accuracy").get("positions").size(), m.get("accuracy").get("full_vocab").size());
        assertTrue(m.get("critical_context").has("t_reach_0.9"));
    }

    @Test
    void sweepAndConflictRunAsSubcommands() throws IOException {
        Path sweep = tmp.resolve("sweep");
        Cli s = Cli.run(args(new String[] {"graph-trace", "sweep", "--model", MODEL, "--graphs", "ring:6,ring:8,ring:10",
            "--out", sweep.toString()}));
        assertEquals(0, s.exit, s.toString());
        JsonNode j = new ObjectMapper().readTree(sweep.resolve("sweep.json").toFile());
        assertEquals(3, j.get("runs").size());
        assertTrue(j.get("power_law").has("exponent_ci95_low"));
        assertTrue(Files.exists(sweep.resolve("ring_8").resolve("metrics.json")));
        assertTrue(Files.exists(sweep.resolve("power_law.png")));

        Path conflict = tmp.resolve("conflict");
        Cli c = Cli.run(args(new String[] {"graph-trace", "conflict", "--model", MODEL, "--out", conflict.toString()}));
        assertEquals(0, c.exit, c.toString());
        assertTrue(Files.exists(conflict.resolve("conflict.json")));
        assertTrue(Files.exists(conflict.resolve("report.html")));
    }

    @Test
    void missingModelOrOutIsOneSentence() {
        for (String[] a : new String[][] {{"graph-trace", "--out", tmp.toString()}, {"graph-trace", "sweep", "--graphs",
            "ring:6,ring:8,ring:10", "--model", MODEL}, {"graph-trace", "conflict"}}) {
            Cli.refused("--model DIR and --out DIR", a);
        }
        Cli.refused("--robustness-seeds", "demo", "--robustness-seeds", "-1", "--out", tmp.toString());
        for (String[] a : new String[][] {{"demo", "--threads", "-1", "--out", tmp.toString()}, {"toy", "pretrain",
            "--threads", "-1", "--out", tmp.toString()}}) {
            Cli.refused("--threads must be", a);
        }
    }

    /** A bad graph in a sweep is refused before any run starts, so nothing is written. */
    @Test
    void badSweepGraphIsRefusedBeforeAnyRun() {
        Path demo = tmp.resolve("demo"), sweep = tmp.resolve("sweep");
        for (String[] a : new String[][] {{"demo", "--sweep", "ring:6,ring:8,ring:x,ring:12", "--out", demo.toString()},
            {"graph-trace", "sweep", "--model", MODEL, "--graphs", "ring:6,ring:8,ring:x", "--out", sweep.toString()}}) {
            Cli.refused("ring:x", a);
        }
        Cli.refused("--sweep-sampling triples", "demo", "--sweep-sampling", "triples", "--out", demo.toString());
        assertTrue(!Files.exists(demo) && !Files.exists(sweep), "nothing written");
    }
}
