package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code newnews run} killed (SIGKILL) twice during fine-tuning, in the plain and in the shadowed training, and rerun
 * with {@code --resume} each time, ends with the predictions, accuracies and adapters of a run never interrupted: on
 * the bundled graph model with the planted news of {@link PlantedNewsTest}, naive protocol, shadowing, retention on
 * planted control questions, deterministic training.
 */
@Tag("slow")
class NewsRunResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aRunKilledTwiceAndResumedEndsAsOneNeverInterrupted() throws Exception {
        Path data = tmp.resolve("news.jsonl"), control = tmp.resolve("control.jsonl");
        List<NewsItem> items = PlantedNewsTest.news();
        write(items.subList(0, 6), data);
        write(items.subList(6, 8).stream().map(i -> new NewsItem(i.id().replace("planted", "control"), "control",
                i.title(), i.news(), i.questions())).toList(), control);
        Path prompts = PlantedNewsTest.writePrompts(tmp);
        List<String> args = List.of("newnews", "run", "--model", "models/graphs-small", "--data", data.toString(),
                "--control", control.toString(), "--prompts", prompts.toString(), "--protocols", "naive", "--samples",
                "16", "--shadowing", "--epochs", "6", "--batch-size", "4", "--bootstrap", "200", "--deterministic");
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        assertEquals(0, cli(args, whole, false, "whole").waitFor(), log("whole"));

        // first kill: in the plain training, once it has logged a few steps
        Process p = cli(args, killed, false, "first");
        awaitLines(p, killed.resolve("train"), false, 3);
        p.destroyForcibly().waitFor();
        assertFalse(Files.exists(killed.resolve("metrics.json")), "the run was killed before the end");
        // second kill: in the shadowed training
        p = cli(args, killed, true, "second");
        awaitLines(p, killed.resolve("train"), true, 3);
        p.destroyForcibly().waitFor();
        assertFalse(Files.exists(killed.resolve("metrics.json")), "the resumed run was killed before the end");
        assertEquals(0, cli(args, killed, true, "third").waitFor(), log("third"));

        JsonNode a = JSON.readTree(whole.resolve("metrics.json").toFile()),
                b = JSON.readTree(killed.resolve("metrics.json").toFile());
        a.get("stages").fields().forEachRemaining(e -> {
            JsonNode r = e.getValue().get("result");
            assertTrue(r.has("tokens") && r.has("flops") && r.has("seconds"), e.getKey() + " records its compute: " + r);
        });
        Map<String, Double> ma = measured(a), mb = measured(b);
        assertEquals(ma, mb);
        assertTrue(ma.keySet().stream().anyMatch(k -> k.startsWith("/baseline/no-news/")), "the baselines: " + ma.keySet());
        assertTrue(ma.keySet().stream().anyMatch(k -> k.startsWith("/fine_tuned/1/no-news/")), "the fine-tuned models: " + ma.keySet());
        assertTrue(ma.containsKey("/summary/naive_retention"), "retention: " + ma.keySet());
        Map<String, List<String>> pa = predictions(whole), pb = predictions(killed);
        assertEquals(pa.keySet(), pb.keySet());
        assertTrue(pa.keySet().stream().anyMatch(k -> k.contains("shadow")), "a shadowed evaluation: " + pa.keySet());
        for (String k : pa.keySet()) assertEquals(pa.get(k), pb.get(k), k);
        for (Path adapter : adapters(whole)) {
            Path other = killed.resolve(whole.relativize(adapter));
            assertEquals(Files.mismatch(adapter, other), -1L, "adapter " + whole.relativize(adapter));
        }
        assertFalse(adapters(whole).isEmpty());
    }

    /**
     * Every number metrics.json measures (baselines, paired differences, each fine-tuned model's evaluation, training
     * record and retention, the summary), by its path; the stages' timings are left out.
     */
    private static Map<String, Double> measured(JsonNode n) {
        Map<String, Double> out = new TreeMap<>();
        for (String part : List.of("baseline", "control_baseline", "paired_differences", "fine_tuned", "summary")) {
            collect(n.path(part), "/" + part, out);
        }
        return out;
    }

    private static void collect(JsonNode n, String path, Map<String, Double> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> collect(e.getValue(), path + "/" + e.getKey(), out));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) collect(n.get(i), path + "/" + i, out);
        } else if (n.isNumber()) {
            out.put(path, n.asDouble());
        }
    }

    /** The predictions of every evaluation stage, by its folder, each line without timing fields. */
    private static Map<String, List<String>> predictions(Path run) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(run)) {
            for (Path f : s.filter(f -> f.getFileName().toString().equals("predictions.jsonl")).toList()) {
                out.put(run.relativize(f.getParent()).toString(), Files.readAllLines(f));
            }
        }
        return out;
    }

    private static List<Path> adapters(Path run) throws IOException {
        try (Stream<Path> s = Files.walk(run)) {
            return s.filter(f -> f.getFileName().toString().equals("adapter_model.safetensors"))
                    .filter(f -> !f.toString().contains("checkpoints")).sorted().toList();
        }
    }

    /** Waits until a training folder (shadowed or not) has logged {@code lines} steps, or the process ends. */
    private static void awaitLines(Process p, Path trainDir, boolean shadowed, int lines) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (p.isAlive() && System.nanoTime() < deadline) {
            for (Path f : metricsFiles(trainDir)) {
                boolean isShadow = f.getParent().getFileName().toString().contains("shadow");
                if (isShadow == shadowed && countLines(f) >= lines && !Files.exists(f.resolveSibling(
                        "adapter_model.safetensors"))) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the run ended (or stalled) before its " + (shadowed ? "shadowed " : "")
                + "training logged " + lines + " steps");
    }

    /** The metrics.jsonl files one or two levels under {@code dir}, listed while the run writes (and renames) files there. */
    private static List<Path> metricsFiles(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> stages = Files.list(dir)) {
            for (Path stage : stages.toList()) {
                Path f = stage.resolve("metrics.jsonl");
                if (Files.isRegularFile(f)) out.add(f);
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            // a temporary file renamed away while listed: look again next time
        }
        return out;
    }

    private static long countLines(Path f) {
        try (Stream<String> s = Files.lines(f)) {
            return s.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    private static void write(List<NewsItem> items, Path file) throws IOException {
        StringBuilder s = new StringBuilder();
        for (NewsItem i : items) {
            var o = JSON.createObjectNode().put("id", i.id()).put("domain", i.domain()).put("title", i.title())
                    .put("news", i.news());
            var qs = o.putArray("questions");
            for (NewsItem.Question q : i.questions()) {
                var qo = qs.addObject().put("id", q.id().replace("planted", i.id().startsWith("control") ? "control"
                        : "planted")).put("question", q.question());
                q.options().forEach(qo.putArray("options")::add);
                qo.put("answer", q.answer()).put("rationale", q.rationale());
            }
            s.append(JSON.writeValueAsString(o)).append('\n');
        }
        Files.writeString(file, s.toString());
    }

    private String log(String name) {
        try {
            List<String> l = Files.readAllLines(tmp.resolve(name + ".log"));
            return String.join("\n", l.subList(Math.max(0, l.size() - 20), l.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private Process cli(List<String> args, Path out, boolean resume, String name) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "absorb.cli.Main"));
        cmd.addAll(args);
        cmd.addAll(List.of("--out", out.toString()));
        if (resume) cmd.add("--resume");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log")
                .toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }
}
