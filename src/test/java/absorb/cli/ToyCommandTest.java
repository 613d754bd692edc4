package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        assertEquals(0.0, toy.get("pair_share").asDouble());

        Path pairs = tmp.resolve("pairs");
        Cli p = Cli.run("toy", "pretrain", "--size", "tiny", "--steps", "2", "--length", "32", "--pair-share", "0.3",
                "--eval-every", "0", "--out", pairs.toString());
        assertEquals(0, p.exit, p.toString());
        JsonNode pc = new ObjectMapper().readTree(pairs.resolve("toy_config.json").toFile());
        assertEquals(32, pc.get("sequence_words").asInt());
        assertEquals(16, pc.get("batch").asInt(), "the batch grows to keep the tokens per step (8 x 64)");
        assertEquals(0.3, pc.get("pair_share").asDouble());
        assertTrue(pc.get("command").asText().contains("--length 32 --pair-share 0.3"), pc.get("command").asText());

        Cli.refused("--phases", "toy", "pretrain", "--size", "tiny", "--phases", "0", "--out", tmp.resolve("x").toString());
        Cli.refused("--pair-share", "toy", "pretrain", "--size", "tiny", "--pair-share", "1.5", "--out",
                tmp.resolve("y").toString());
        Cli.refused("--from", "toy", "pretrain", "--size", "tiny", "--from", tmp.resolve("none").toString(), "--out",
                tmp.resolve("z").toString());
        assertFalse(Files.exists(tmp.resolve("z")), "nothing is written for a refused --from");
    }

    /**
     * The news world: a few steps write an ordinary HF chat model (its template renders the evaluation's prompts and
     * the model answers with a letter token), then a second phase continues it; `toy world` writes the demo's files.
     */
    @Test
    void newsWorldTrainsAChatModelAndWritesItsFiles() throws IOException {
        Path out = tmp.resolve("news");
        Cli c = Cli.run("toy", "pretrain", "--world", "news", "--size", "tiny", "--steps", "3", "--copy-steps", "1",
                "--eval-every", "0", "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        JsonNode tc = new ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile());
        assertTrue(tc.get("chat_template").asText().contains("<assistant>"));
        JsonNode toy = new ObjectMapper().readTree(out.resolve("toy_config.json").toFile());
        assertEquals("news", toy.get("world").asText());
        assertEquals(1, toy.get("copy_steps").asInt());
        Path next = tmp.resolve("news2");
        Cli n = Cli.run("toy", "pretrain", "--world", "news", "--size", "tiny", "--seed", "1", "--steps", "2",
                "--copy-steps", "1", "--shares", "drill=0.5,copy=0.5", "--eval-every", "2",
                "--from", out.toString(), "--out", next.toString());
        assertEquals(0, n.exit, n.toString());
        JsonNode toy2 = new ObjectMapper().readTree(next.resolve("toy_config.json").toFile());
        assertEquals(1, toy2.get("earlier_phases").size());
        assertEquals(0.5, toy2.get("corpus_shares").get("drill").asDouble(), 1e-12);
        assertTrue(toy2.get("command").asText().contains("--shares drill=0.5,copy=0.5"), toy2.get("command").asText());
        JsonNode eval = new ObjectMapper().readTree(Files.readAllLines(next.resolve("eval.jsonl")).get(0));
        for (String k : List.of("held_icl", "held_no_news", "control", "held_icl_letter", "lookup_letter")) {
            assertTrue(eval.get(k).asDouble() >= 0 && eval.get(k).asDouble() <= 1, k + " in " + eval);
        }
        assertTrue(toy2.get("command").asText().contains("--from " + out), toy2.get("command").asText());

        Path world = tmp.resolve("world");
        assertEquals(0, Cli.run("toy", "world", "--world", "news", "--out", world.toString()).exit);
        assertEquals(Files.readString(Path.of("data/news-world/news.jsonl")), Files.readString(world.resolve("news.jsonl")),
                "the shipped files are what the world writes");
        assertEquals(Files.readString(Path.of("data/news-world/unrehearsed.txt")),
                Files.readString(world.resolve("unrehearsed.txt")));
        Cli.refused("--batch", "toy", "pretrain", "--size", "tiny", "--batch", "4", "--out", tmp.resolve("g").toString());
        Cli.refused("--shares", "toy", "pretrain", "--size", "tiny", "--shares", "copy=1", "--out",
                tmp.resolve("g").toString());
        Cli.refused("--size", "toy", "pretrain", "--world", "news", "--size", "huge", "--out", tmp.resolve("h").toString());
    }
}
