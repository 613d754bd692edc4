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

/** The circuit commands as a user types them (heads, ablate, patch, mixing, causal), short, on the bundled model. */
class CircuitCommandsTest {
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

    private static JsonNode json(Path p) throws IOException {
        return new ObjectMapper().readTree(p.toFile());
    }

    @Test
    void headsWritesScoresAndHeatMaps() throws IOException {
        Path out = tmp.resolve("heads");
        Cli c = Cli.run("heads", "--model", MODEL, "--repeats", "4", "--repeat-length", "8", "--context", "40", "--batch",
                "4", "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        JsonNode h = json(out.resolve("heads.json"));
        assertEquals(4, h.get("repeated").get("induction").size());
        assertEquals(4, h.get("walks").get("previous").get(0).size());
        assertEquals(16, h.get("repeated").get("induction_ranked").size());
        for (String f : new String[] {"induction_repeated.png", "previous_walks.svg", "report.html"}) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
    }

    @Test
    void ablateWritesConditionsAndTheCurve() throws IOException {
        Path out = tmp.resolve("ablate");
        Cli c = Cli.run(args(new String[] {"graph-trace", "ablate", "--model", MODEL, "--top-induction", "2", "--draws", "2",
            "--curve-max", "2", "--repeats", "4", "--repeat-length", "8", "--out", out.toString()}));
        assertEquals(0, c.exit, c.toString());
        JsonNode a = json(out.resolve("ablation.json"));
        assertEquals(4, a.get("conditions").size(), "unablated, ablated, two random sets");
        assertEquals(2, a.get("curve").size(), "K = 1, 2");
        JsonNode ablated = a.get("conditions").get(1);
        assertEquals(2, ablated.get("heads").size());
        assertTrue(ablated.get("changes").get(0).get("change_norm").asDouble() > 0, "the ablation changed something");
        assertTrue(Files.exists(out.resolve("ablation_curve.png")) && Files.exists(out.resolve("report.html")));

        Path mean = tmp.resolve("mean");
        Cli m = Cli.run(args(new String[] {"graph-trace", "ablate", "--model", MODEL, "--heads", "1.1,2.2", "--ablation",
            "mean", "--draws", "1", "--curve-max", "0", "--out", mean.toString()}));
        assertEquals(0, m.exit, m.toString());
        assertEquals("mean", json(mean.resolve("ablation.json")).get("ablation").asText());
    }

    @Test
    void patchMixingAndCausalWriteTheirFolders() throws IOException {
        Path patch = tmp.resolve("patch");
        Cli p = Cli.run("graph-trace", "patch", "--model", MODEL, "--context", "64", "--batch", "4", "--last-positions",
                "2", "--out", patch.toString());
        assertEquals(0, p.exit, p.toString());
        JsonNode j = json(patch.resolve("patching.json"));
        assertEquals(4, j.get("by_position").get("resid_pre").size());
        assertEquals(3, j.get("by_position").get("resid_pre").get(0).size(), "two positions, then all");
        assertEquals(1.0, j.get("by_position").get("resid_pre").get(0).get(2).asDouble(), 1e-4,
                "copying block 0's whole input makes B's run A's");
        assertTrue(j.get("by_position").get("resid_pre").get(0).get(1).isNull(), "the last token is the same word in both");

        Path mixing = tmp.resolve("mixing");
        Cli mx = Cli.run("graph-trace", "mixing", "--graph", "ring:8", "--dim", "64", "--rounds", "2", "--out",
                mixing.toString());
        assertEquals(0, mx.exit, mx.toString());
        assertEquals(3, json(mixing.resolve("mixing.json")).get("rounds").size());

        Path causal = tmp.resolve("causal");
        Cli cs = Cli.run("graph-trace", "causal", "--model", MODEL, "--graph", "grid:3x3", "--context", "80", "--window",
                "60", "--batch", "4", "--layers", "0,1", "--out", causal.toString());
        assertEquals(0, cs.exit, cs.toString());
        assertTrue(json(causal.resolve("causal.json")).get("moved").has("hit_at_3"));
    }

    @Test
    void studyConventionsAndRandomInit() throws IOException {
        Path out = tmp.resolve("paper");
        Cli c = Cli.run(args(new String[] {"graph-trace", "--model", MODEL, "--graph", "grid:3x3", "--energy", "paper",
            "--window-convention", "paper", "--random-init", "--out", out.toString()}));
        assertEquals(0, c.exit, c.toString());
        JsonNode m = json(out.resolve("metrics.json"));
        assertEquals("paper", m.get("energy_used").asText());
        assertTrue(m.get("energy").get("blocks.0.resid_post").has("paper"));
        assertTrue(m.get("accuracy").has("mse_uniform_neighbours"));
        assertTrue(json(out.resolve("config.json")).get("random_init").asBoolean());
    }

    /** Bad input: one sentence naming the problem, exit code 2. */
    @Test
    void badInputIsOneSentence() {
        String o = tmp.resolve("x").toString();
        Cli.refused("Head 4.0 does not exist: the model has 4 layers (0 to 3) of 4 heads", "graph-trace", "ablate",
                "--model", MODEL, "--heads", "4.0", "--out", o);
        Cli.refused("Head 1.7 does not exist", "graph-trace", "ablate", "--model", MODEL, "--heads", "1.7", "--out", o);
        Cli.refused("--top-induction 17 is more than the model's 16 heads", "graph-trace", "ablate", "--model", MODEL,
                "--top-induction", "17", "--out", o);
        Cli.refused("--ablation half is not known", "graph-trace", "ablate", "--model", MODEL, "--random", "2",
                "--ablation", "half", "--out", o);
        Cli c = Cli.refused("Hook point blocks.1.attn.q does not exist in a 4-layer model", "graph-trace", "--model", MODEL,
                "--layers", "blocks.1.attn.q", "--out", o);
        assertTrue(c.err.contains("blocks.{0..3}.attn.pattern") && c.err.contains("blocks.{0..3}.resid_mid"), c.err);
        Cli.refused("is not on the residual stream", "graph-trace", "--model", MODEL, "--layers", "blocks.1.attn.z", "--out", o);
        Cli.refused("--points attn.z is not patched per position", "graph-trace", "patch", "--model", MODEL, "--points", "attn.z", "--out", o);
        Cli.refused("--energy raw is not known", "graph-trace", "--model", MODEL, "--energy", "raw", "--out", o);
        Cli.refused("--separator goes between neighbour pairs", "graph-trace", "--model", MODEL, "--separator", " /",
                "--out", o);
        Cli.refused("--dim must be at least 2", "graph-trace", "mixing", "--dim", "1", "--out", o);
        assertTrue(!Files.exists(tmp.resolve("x")), "nothing written");
    }
}
