package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The New News commands on bad input: one sentence, exit code 2, nothing half written. */
class NewsPipelineCommandTest {
    private static final String QWEN = "src/test/resources/fixtures/engine/qwen2";
    private static final String BASE = "models/graphs-small";

    @TempDir
    Path tmp;

    private Cli eval(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("newnews", "eval", "--model", QWEN, "--domains", "math",
                "--permutations", "1", "--condition", "no-news"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void anEvaluationRunsAndWritesWhatItSays() throws IOException {
        Path out = tmp.resolve("ok");
        assertEquals(0, eval("--out", out.toString()).exit);
        for (String f : List.of("config.json", "predictions.jsonl", "metrics.json", "report.html")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(15 * 5, Files.readAllLines(out.resolve("predictions.jsonl")).size());
    }

    @Test
    void aFolderWithAnotherRunIsRefusedUnlessResumedWithTheSameSettings() {
        Path out = tmp.resolve("run");
        assertEquals(0, eval("--out", out.toString()).exit);
        Cli.refused("--resume", "newnews", "eval", "--model", QWEN, "--domains", "math", "--permutations", "1",
                "--condition", "no-news", "--out", out.toString());
        Cli.refused("other settings", "newnews", "eval", "--model", QWEN, "--domains", "math", "--permutations", "2",
                "--condition", "no-news", "--out", out.toString(), "--resume");
        assertEquals(0, eval("--out", out.toString(), "--resume").exit);
    }

    @Test
    void aMalformedDatasetLineIsRefused() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\": \"x\"}\n");
        Cli.refused("problem", "newnews", "eval", "--model", QWEN, "--data", bad.toString(), "--out",
                tmp.resolve("o").toString());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written");
    }

    @Test
    void aTemplateWithoutItsPlaceholderIsRefusedByName() throws IOException {
        Path prompts = tmp.resolve("prompts");
        Files.createDirectories(prompts);
        try (Stream<Path> s = Files.list(Path.of("data/newnews/prompts"))) {
            for (Path f : s.toList()) Files.copy(f, prompts.resolve(f.getFileName()));
        }
        Files.writeString(prompts.resolve("icl.txt"), "Read this.\n\n{question}\n");
        Cli.refused("icl.txt lacks the placeholder {news}", "newnews", "eval", "--model", QWEN, "--prompts",
                prompts.toString(), "--out", tmp.resolve("o").toString());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    @Test
    void letterScoringOnABaseModelSuggestsContinuation() {
        Cli.refused("--scoring continuation", "newnews", "eval", "--model", BASE, "--scoring", "letter", "--out",
                tmp.resolve("o").toString());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    @Test
    void zeroSamplesAndUnknownProtocolsAreRefused() {
        Cli.refused("--samples must be at least 1", "newnews", "generate", "--model", QWEN, "--protocol", "self-qa",
                "--samples", "0", "--out", tmp.resolve("g").toString());
        Cli.refused("not a protocol", "newnews", "generate", "--model", QWEN, "--protocol", "selfqa", "--out",
                tmp.resolve("g").toString());
        Cli.refused("--samples must be at least 1", "newnews", "run", "--model", QWEN, "--samples", "0", "--out",
                tmp.resolve("r").toString());
        assertFalse(Files.exists(tmp.resolve("g")) || Files.exists(tmp.resolve("r")));
    }

    /** A full fine-tune's folder is a model folder: config.json is the model's, the run's settings sit beside it. */
    @Test
    void aFullFineTuneKeepsTheModelsConfigAndResumesFromItsOwnSettings() throws IOException {
        Path generated = tmp.resolve("generated");
        Files.createDirectories(generated);
        String example = "{\"messages\": [{\"role\": \"user\", \"content\": \"what colour is kabe ?\"}, {\"role\":"
                + " \"assistant\", \"content\": \"the colour of kabe is red .\"}], \"news_id\": \"names-01\","
                + " \"protocol\": \"self-qa\"}";
        Files.writeString(generated.resolve("train.jsonl"), example + "\n" + example + "\n");
        Path out = tmp.resolve("model");
        String[] train = {"newnews", "train", "--model", "models/news-tiny", "--generated", generated.toString(), "--data",
                "data/news-world/news.jsonl", "--full", "--hold-absent-tokens", "--epochs", "1", "--batch-size", "2",
                "--threads", "1", "--out", out.toString()};
        assertEquals(0, Cli.run(train).exit);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals("llama", json.readTree(out.resolve("config.json").toFile()).get("model_type").asText());
        com.fasterxml.jackson.databind.JsonNode run = json.readTree(out.resolve(NewsTrainCommand.RUN_FILE).toFile());
        assertEquals("newnews train", run.get("command").asText());
        assertTrue(run.get("training").get("hold_absent_tokens").asBoolean(), "the setting is part of the run's: " + run);
        assertTrue(json.readTree(out.resolve("training_config.json").toFile()).get("hold_absent_tokens").asBoolean());
        String[] resumed = java.util.Arrays.copyOf(train, train.length + 1);
        resumed[train.length] = "--resume";
        assertEquals(0, Cli.run(resumed).exit, "a finished run resumes to its end");
        Cli.refused("LoRA", "newnews", "train", "--model", "models/news-tiny", "--generated", generated.toString(),
                "--data", "data/news-world/news.jsonl", "--hold-absent-tokens", "--out", tmp.resolve("lora").toString());
        assertFalse(Files.exists(tmp.resolve("lora")), "nothing written");
    }

    @Test
    void anAdapterForAnotherBaseModelIsRefused() {
        // trained on the Llama fixture: another architecture and other widths
        Cli.refused("was trained on", "newnews", "eval", "--model", QWEN, "--adapter",
                "src/test/resources/fixtures/roundtrip/absorb_lora", "--domains", "math", "--permutations", "1",
                "--condition", "no-news", "--out", tmp.resolve("o").toString());
        assertFalse(Files.exists(tmp.resolve("o")));
    }
}
