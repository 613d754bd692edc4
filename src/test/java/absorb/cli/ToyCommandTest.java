package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `toy pretrain` in phases: one command trains them all and leaves one model folder with every phase's logs. */
class ToyCommandTest {
    @TempDir
    Path tmp;

    @Test
    void phasesContinueEachOtherInOneCommand() throws IOException {
        Path out = tmp.resolve("toy");
        Cli c = Cli.run("toy", "pretrain", "--size", "tiny", "--phases", "2", "--steps", "4", "--eval-every", "0",
                "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("phase1_metrics.jsonl")));
        assertFalse(Files.exists(out.resolve("phase1")), "the earlier phase's folder is removed");
        JsonNode toy = new ObjectMapper().readTree(out.resolve("toy_config.json").toFile());
        assertEquals(1, toy.get("seed").asInt(), "the second phase uses the next seed");
        assertEquals(1, toy.get("earlier_phases").size());
        assertEquals(0, toy.get("earlier_phases").get(0).get("seed").asInt());
        assertEquals(10, toy.get("earlier_phases").get(0).get("warmup").asInt());
        assertTrue(toy.get("command").asText().contains("--phases 2"), toy.get("command").asText());

        Cli bad = Cli.run("toy", "pretrain", "--size", "tiny", "--phases", "0", "--out", tmp.resolve("x").toString());
        assertEquals(2, bad.exit, bad.toString());
        assertTrue(bad.oneLine() && bad.err.contains("--phases"), bad.toString());
    }
}
