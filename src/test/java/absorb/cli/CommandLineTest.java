package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.model.Safetensors;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a new user meets it: misspellings, where results and progress go, what merge says it did. */
class CommandLineTest {
    private static final String QWEN2 = "src/test/resources/fixtures/engine/qwen2";

    @TempDir
    Path tmp;

    /** The first line of what was said on standard error. */
    private static String said(Cli c) {
        return c.err.lines().findFirst().orElse("");
    }

    @Test
    void aMisspelledOptionIsNamedWithTheNearestOnes() {
        // --model is required, and picocli would say it is missing: the misspelling is the problem to name
        Cli c = Cli.run("info", "--modle", QWEN2);
        assertEquals(2, c.exit);
        assertEquals("absorb: info has no option --modle; did you mean --model?", said(c));
        assertEquals("absorb: finetune has no option --lora-rnk; did you mean --lora-rank?",
                said(Cli.run("finetune", "--lora-rnk", "3", "--out", tmp.toString())));
        assertEquals("absorb: graph-trace sweep has no option --grahps; did you mean --graphs?",
                said(Cli.run("graph-trace", "sweep", "--grahps", "ring:6")));
        assertEquals("absorb: there is no command infoo; did you mean info?", said(Cli.run("infoo")));
        assertEquals("absorb: info has no option --zzzzzz.", said(Cli.run("info", "--zzzzzz")));
        assertTrue(c.err.contains("Run 'absorb info --help' for the options."), c.err);
    }

    @Test
    void editDistanceCountsSwapsAsOneEdit() {
        assertEquals(1, Main.editDistance("--modle", "--model"));
        assertEquals(1, Main.editDistance("--adaptr", "--adapter"));
        assertEquals(3, Main.editDistance("kitten", "sitting"));
        assertEquals(List.of("--model"), Main.nearest("--modle", List.of("--model", "--adapter", "--verbose")));
        assertEquals(List.of(), Main.nearest("foo", List.of("toy", "info")));
    }

    /** graph-trace prints its finding on standard output; its progress is not there. */
    @Test
    void aGraphTraceRunPrintsItsFinding() {
        Path out = tmp.resolve("grid");
        Cli c = Cli.run("graph-trace", "--model", DemoCommand.BUNDLED, "--graph", "grid:3x3", "--context", "48", "--window",
                "24", "--batch", "4", "--positions", "8", "--out", out.toString());
        assertEquals(0, c.exit, c.toString());
        List<String> lines = c.out.lines().toList();
        assertEquals(1, lines.size(), c.out);
        String line = lines.get(0);
        for (String part : List.of("grid:3x3: accuracy ", "at position 48", "critical context t* = ", "spectral alignment R^2 = ",
                "resid_post", "report: " + out.resolve("report.html"))) {
            assertTrue(line.contains(part), part + " in " + line);
        }
    }

    /**
     * merge keeps the base's dtype (the qwen2 fixture is stored in bfloat16), as transformers' merge and save do, and
     * says so; asked for float32, it says the base was bfloat16.
     */
    @Test
    void mergeSaysWhatItWroteAndInWhichDtype() throws IOException {
        Path adapter = tmp.resolve("adapter"), kept = tmp.resolve("kept"), wide = tmp.resolve("wide");
        Path data = Files.writeString(tmp.resolve("d.jsonl"), "{\"text\": \"the apple fell\"}\n");
        assertEquals(0, Cli.run("finetune", "--model", QWEN2, "--data", data.toString(), "--out", adapter.toString(),
                "--lora-rank", "2", "--max-steps", "1").exit);
        Cli c = Cli.run("merge", "--model", QWEN2, "--adapter", adapter.toString(), "--out", kept.toString());
        assertEquals(0, c.exit, c.toString());
        assertTrue(c.out.contains("wrote " + kept + " (model.safetensors, config.json, tokenizer.json"), c.out);
        assertTrue(c.out.contains("weights in bfloat16, as the base."), c.out);
        assertEquals("BF16", storedDtype(kept));
        assertEquals("bfloat16", new ObjectMapper().readTree(kept.resolve("config.json").toFile()).get("dtype").asText());

        Cli f = Cli.run("merge", "--model", QWEN2, "--adapter", adapter.toString(), "--out", wide.toString(), "--dtype",
                "float32");
        assertTrue(f.out.contains("weights in float32; the base is bfloat16."), f.out);
        assertEquals("F32", storedDtype(wide));
    }

    /** The dtype the safetensors header gives the merged model's first tensor. */
    private static String storedDtype(Path model) throws IOException {
        try (Safetensors st = Safetensors.open(model.resolve("model.safetensors"))) {
            return st.entries().values().iterator().next().dtype();
        }
    }
}
