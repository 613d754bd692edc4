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

        Cli changed = Cli.run("finetune", "--out", out, "--resume", "--lr", "0.5");
        assertEquals(2, changed.exit, changed.toString());
        assertTrue(changed.oneLine() && changed.err.contains("other settings (lr"), changed.toString());

        Cli none = Cli.run("finetune", "--out", tmp.resolve("empty").toString());
        assertEquals(2, none.exit, none.toString());
        assertTrue(none.oneLine() && none.err.contains("needs --model and --data"), none.toString());
    }
}
