package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `finetune --resume` repeats the options that started the run; options given with it must agree. */
class FinetuneCommandTest {
    @TempDir
    Path tmp;

    @Test
    void resumeNeedsOnlyTheOutputFolder() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) lines.add("{\"text\": \"the apple number " + i + " fell from the tree\"}");
        Path data = Files.write(tmp.resolve("d.jsonl"), lines);
        String out = tmp.resolve("run").toString();
        Cli first = Cli.run("finetune", "--model", "src/test/resources/fixtures/engine/llama", "--data", data.toString(),
                "--out", out, "--lora-rank", "4", "--max-steps", "2", "--batch-size", "4", "--checkpoint-every", "1");
        assertEquals(0, first.exit, first.toString());
        assertTrue(Files.isRegularFile(Path.of(out, FinetuneCommand.SAVED_ARGS)));

        Cli again = Cli.run("finetune", "--out", out, "--resume");
        assertEquals(0, again.exit, again.toString());

        Cli.refused("other settings (lr", "finetune", "--out", out, "--resume", "--lr", "0.5");

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve(FinetuneCommand.SAVED_ARGS), "{\"args\": [\"--model\"");
        Cli.refused("not valid JSON", "finetune", "--out", broken.toString(), "--resume");

        Cli.refused("needs --model and --data", "finetune", "--out", tmp.resolve("empty").toString());
    }

    /** --adapter continues an adapter: the continued run starts at the loss the adapter reached, not a fresh one's. */
    @Test
    void adapterContinuesTraining() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 8; i++) lines.add("{\"text\": \"the apple number " + i + " fell from the tree\"}");
        Path data = Files.write(tmp.resolve("d.jsonl"), lines);
        String model = "src/test/resources/fixtures/engine/llama";
        String first = tmp.resolve("first").toString(), second = tmp.resolve("second").toString();
        Cli a = Cli.run("finetune", "--model", model, "--data", data.toString(), "--out", first, "--lora-rank", "4",
                "--lora-dropout", "0", "--max-steps", "8", "--batch-size", "8", "--lr", "1e-2", "--schedule", "constant",
                "--log-every", "1");
        assertEquals(0, a.exit, a.toString());
        Cli b = Cli.run("finetune", "--model", model, "--data", data.toString(), "--out", second, "--adapter", first,
                "--max-steps", "1", "--batch-size", "8", "--lr", "1e-2", "--log-every", "1");
        assertEquals(0, b.exit, b.toString());
        List<String> firstRun = Files.readAllLines(Path.of(first, "metrics.jsonl"));
        double fresh = loss(firstRun.get(0)), reached = loss(firstRun.get(firstRun.size() - 1));
        double continued = loss(Files.readAllLines(Path.of(second, "metrics.jsonl")).get(0));
        assertTrue(reached < fresh - 0.5, "the first run learned: " + fresh + " -> " + reached);
        assertTrue(Math.abs(continued - reached) < 0.5 * (fresh - reached), "continued at " + continued + ", reached "
                + reached + ", fresh " + fresh);
        assertTrue(Files.isRegularFile(Path.of(second, "adapter_model.safetensors")));

        Cli.refused("must match the adapter", "finetune", "--model", model, "--data", data.toString(), "--out",
                tmp.resolve("w").toString(), "--adapter", first, "--lora-rank", "8");
    }

    /**
     * Bad options and bad data are refused in one sentence before anything is written: no output folder, so no
     * finetune_args.json for a later --resume to pick up.
     */
    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() throws IOException {
        String model = "src/test/resources/fixtures/engine/qwen2";
        Path good = Files.writeString(tmp.resolve("good.jsonl"), "{\"text\": \"the apple fell\"}\n");
        Path out = tmp.resolve("run");
        Cli.refused("--lora-rank must be at least 1, not 0", "finetune", "--model", model, "--data", good.toString(),
                "--out", out.toString(), "--lora-rank", "0");
        Cli.refused("--lora-dropout", "finetune", "--model", model, "--data", good.toString(), "--out", out.toString(),
                "--lora-dropout", "1.5");
        Path broken = Files.writeString(tmp.resolve("broken.jsonl"),
                "{\"text\": \"one\"}\n{\"text\": \"two\"}\n{\"text\": \"x\" \"y\"}\n");
        Cli c = Cli.refused("line 3: not valid JSON at column 14: expected ',' or '}' after a value, found '\"'", "finetune",
                "--model", model, "--data", broken.toString(), "--out", out.toString());
        assertTrue(c.err.contains(broken.toString()) && !c.err.contains("Source") && !c.err.contains("column: "), c.err);
        Path usr = Files.writeString(tmp.resolve("usr.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n{\"messages\": [{\"role\": \"usr\", \"content\": \"hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
        Cli.refused("line 2: message 1 of messages has role \"usr\", which the chat template does not take", "finetune",
                "--model", model, "--data", usr.toString(), "--out", out.toString());
        Cli.refused("does not exist", "finetune", "--model", model, "--data", tmp.resolve("missing.jsonl").toString(),
                "--out", out.toString());
        assertTrue(!Files.exists(out), "nothing was written to --out");
    }

    private static double loss(String metricsLine) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(metricsLine).get("loss").asDouble();
    }
}
