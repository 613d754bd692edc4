package absorb.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import absorb.model.Compute;
import absorb.model.Checkpoint;
import absorb.model.LoraAdapter;
import absorb.model.Safetensors;
import absorb.model.Transformer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final Path LLAMA = Path.of("src/test/resources/fixtures/engine/llama");
    private static final Path QWEN = Path.of("src/test/resources/fixtures/engine/qwen2");

    @TempDir
    Path tmp;

    private Path data(String... lines) throws IOException {
        Path f = tmp.resolve("data.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private Path textData(int n) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) lines.add("{\"text\": \"The apple fell from the tree " + (i % 7) + " times.\"}");
        return data(lines.toArray(String[]::new));
    }

    private static TrainConfig config(Path model, Path data, Path out, boolean lora, int steps, double lr, boolean resume) {
        return new TrainConfig(new TrainConfig.Data(model, data, out, DataType.FLOAT32, 64, false, false),
                lora ? new TrainConfig.Lora(true, 4, 8, 0.1, LoraAdapter.TARGETS, null) : TrainConfig.Lora.OFF,
                new TrainConfig.Optimizer(lr, TrainConfig.Schedule.COSINE, 2, 0.01, 0.9, 0.999, 1e-8, 1.0),
                new TrainConfig.Run(1, steps, 4, 2, 7, 3, 2, 1, resume, true));
    }

    private static final Trainer.Listener QUIET = m -> { };

    @Test
    void frozenTokensKeepTheirEmbeddingAndOutputRowsWhileTheRestTrains() throws IOException {
        Path d = textData(16), out = tmp.resolve("o");
        long[] ids;
        try (absorb.model.Tokenizer tok = absorb.model.Tokenizer.load(LLAMA)) {
            ids = tok.encodePlain("The apple fell from the tree");
        }
        long[] frozen = {ids[0], ids[1], 5}; // two tokens the data trains on (gradients, weight decay) and one it never has
        new Trainer(config(LLAMA, d, out, false, 3, 1e-2, false), QUIET).freezeTokens(frozen).run();
        try (Safetensors before = Safetensors.open(LLAMA.resolve("model.safetensors"));
                Safetensors after = Safetensors.open(out.resolve("model.safetensors"));
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
                float[] x = before.read(m, name, DataType.FLOAT32).toFloatArray();
                float[] y = after.read(m, name, DataType.FLOAT32).toFloatArray();
                int hidden = (int) before.entry(name).shape()[1];
                for (long t : frozen) {
                    for (int j = 0; j < hidden; j++) {
                        assertEquals(x[(int) t * hidden + j], y[(int) t * hidden + j], 0.0, name + " row " + t);
                    }
                }
                double moved = 0;
                for (int j = 0; j < hidden; j++) moved += Math.abs(x[(int) ids[2] * hidden + j] - y[(int) ids[2] * hidden + j]);
                assertTrue(moved > 1e-3, name + ": a token not held trains (moved " + moved + ")");
            }
        }
    }

    @Test
    void rowsOfTokensAbsentFromTheDataStayWhereTheyAreWhenHeld() throws IOException {
        for (Path model : List.of(LLAMA, QWEN)) { // an untied lm_head, and tied embeddings
            Path d = textData(16);
            java.util.Set<Long> present = new java.util.HashSet<>();
            try (absorb.model.Tokenizer tok = absorb.model.Tokenizer.load(model)) {
                for (int i = 0; i < 7; i++) for (long id : tok.encode("The apple fell from the tree " + i + " times.")) present.add(id);
                present.add((long) tok.eosId()); // each text example ends with it
            }
            TrainConfig plain = config(model, d, tmp.resolve("plain-" + model.getFileName()), false, 3, 1e-2, false);
            TrainConfig held = plain.withData(plain.data().withOut(tmp.resolve("held-" + model.getFileName())))
                    .withOptimizer(plain.optimizer().withHoldAbsentTokens(true));
            new Trainer(plain, QUIET).run();
            new Trainer(held, QUIET).run();
            try (Safetensors before = Safetensors.open(model.resolve("model.safetensors"));
                    Safetensors afterPlain = Safetensors.open(plain.out().resolve("model.safetensors"));
                    Safetensors afterHeld = Safetensors.open(held.out().resolve("model.safetensors"));
                    NDManager m = NDManager.newBaseManager("PyTorch")) {
                List<String> tables = before.entries().containsKey("lm_head.weight")
                        ? List.of("model.embed_tokens.weight", "lm_head.weight") : List.of("model.embed_tokens.weight");
                for (String name : tables) {
                    float[] x = before.read(m, name, DataType.FLOAT32).toFloatArray();
                    float[] p = afterPlain.read(m, name, DataType.FLOAT32).toFloatArray();
                    float[] h = afterHeld.read(m, name, DataType.FLOAT32).toFloatArray();
                    int hidden = (int) before.entry(name).shape()[1], vocab = x.length / hidden;
                    int absentMovedPlain = 0, presentMovedHeld = 0;
                    for (int t = 0; t < vocab; t++) {
                        double dp = 0, dh = 0;
                        for (int j = 0; j < hidden; j++) {
                            dp += Math.abs(x[t * hidden + j] - p[t * hidden + j]);
                            dh += Math.abs(x[t * hidden + j] - h[t * hidden + j]);
                        }
                        if (present.contains((long) t)) {
                            if (dh > 1e-3) presentMovedHeld++;
                        } else {
                            assertEquals(0.0, dh, 0.0, model.getFileName() + " " + name + ": absent token " + t + " moved");
                            if (dp > 1e-3) absentMovedPlain++;
                        }
                    }
                    assertTrue(presentMovedHeld > present.size() / 2, name + ": the data's tokens train (" + presentMovedHeld
                            + " of " + present.size() + " moved)");
                    assertTrue(absentMovedPlain > 0, name + ": without holding, absent tokens' rows move too");
                }
            }
        }
    }

    @Test
    void holdingAbsentTokensIsForFullFineTuning() throws IOException {
        TrainConfig c = config(LLAMA, textData(4), tmp.resolve("o"), true, 1, 1e-3, false);
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> c.withOptimizer(c.optimizer().withHoldAbsentTokens(true)));
        assertTrue(e.getMessage().contains("LoRA"), e.getMessage());
    }

    @Test
    void badLinesAreReportedWithFileAndLine() throws IOException {
        Path d = data("{\"text\": \"fine\"}", "{\"txt\": \"typo\"}", "not json", "{\"prompt\": \"p\"}");
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, d, tmp.resolve("o"), false, 2, 1e-3, false), QUIET).run());
        assertTrue(e.getMessage().contains(d.toString()) && e.getMessage().contains("line 2")
                && e.getMessage().contains("(and 2 more bad lines)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("o/model.safetensors")), "nothing trained");
    }

    @Test
    void emptyDataIsRefused() throws IOException {
        Path d = data("");
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, d, tmp.resolve("o"), false, 2, 1e-3, false), QUIET).run());
        assertTrue(e.getMessage().contains("has no examples"), e.getMessage());
    }

    @Test
    void longSequencesAreCutOrRefused() throws IOException {
        Path d = data("{\"text\": \"" + "apple tree ".repeat(60) + "\"}");
        List<String> messages = new ArrayList<>();
        Trainer.Listener l = new Trainer.Listener() {
            @Override
            public void onStep(Trainer.StepMetrics m) {}

            @Override
            public void onMessage(String message) {
                messages.add(message);
            }
        };
        new Trainer(config(LLAMA, d, tmp.resolve("o"), false, 1, 1e-3, false), l).run();
        assertTrue(messages.stream().anyMatch(m -> m.contains("were cut")), messages.toString());
        TrainConfig strict = config(LLAMA, d, tmp.resolve("o2"), false, 1, 1e-3, false);
        TrainConfig reject = new TrainConfig(strict.data().withRejectLong(true).withMaxLength(64), TrainConfig.Lora.OFF,
                new TrainConfig.Optimizer(1e-3, TrainConfig.Schedule.CONSTANT, 0, 0, 0.9, 0.999, 1e-8, 1),
                new TrainConfig.Run(1, 1, 4, 1, 7, 3, 2, 1, false, false));
        AbsorbException e = assertThrows(AbsorbException.class, () -> new Trainer(reject, QUIET).run());
        assertTrue(e.getMessage().contains("longer than --max-length 64"), e.getMessage());
    }

    @Test
    void outputThatIsAFileIsRefused() throws IOException {
        Path blocker = tmp.resolve("file");
        Files.writeString(blocker, "x");
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, textData(8), blocker.resolve("out"), false, 1, 1e-3, false), QUIET).run());
        assertTrue(e.getMessage().contains("not writable"), e.getMessage());
    }

    @Test
    void divergenceStopsWithTheLastGoodCheckpoint() throws IOException {
        Path out = tmp.resolve("o");
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, textData(32), out, false, 40, 1e6, false), QUIET).run());
        assertTrue(e.getMessage().contains("The loss became") && e.getMessage().contains("checkpoint"), e.getMessage());
        assertFalse(Files.exists(out.resolve("model.safetensors")));
    }

    @Test
    void existingCheckpointsNeedResume() throws IOException {
        Path d = textData(16), out = tmp.resolve("o");
        new Trainer(config(LLAMA, d, out, false, 3, 1e-3, false), QUIET).run();
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, d, out, false, 3, 1e-3, false), QUIET).run());
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        AbsorbException changed = assertThrows(AbsorbException.class,
                () -> new Trainer(config(LLAMA, d, out, false, 3, 2e-3, true), QUIET).run());
        assertTrue(changed.getMessage().contains("lr 0.001 -> 0.002"), changed.getMessage());
    }

    @Test
    void chatDataTrainsOnlyAssistantTokens() throws IOException {
        Path d = data("{\"messages\": [{\"role\": \"user\", \"content\": \"What is 2 + 2?\"},"
                + " {\"role\": \"assistant\", \"content\": \"The answer is 4.\"}]}");
        try (absorb.model.Tokenizer tok = absorb.model.Tokenizer.load(QWEN)) {
            TrainingData.Example e = TrainingData.load(d, tok, 256, false).examples().get(0);
            StringBuilder trained = new StringBuilder();
            List<Long> ids = new ArrayList<>();
            for (int t = 0; t < e.ids().length; t++) if (e.target()[t]) ids.add(e.ids()[t]);
            trained.append(tok.decode(ids.stream().mapToLong(Long::longValue).toArray(), false));
            assertEquals("The answer is 4.<|im_end|>\n", trained.toString());
        }
    }

    @Test
    void promptCompletionTrainsOnlyTheCompletion() throws IOException {
        Path d = data("{\"prompt\": \"What is 3 + 4?\", \"completion\": \" 7\"}");
        try (absorb.model.Tokenizer tok = absorb.model.Tokenizer.load(LLAMA)) {
            TrainingData.Example e = TrainingData.load(d, tok, 256, false).examples().get(0);
            List<Long> ids = new ArrayList<>();
            for (int t = 0; t < e.ids().length; t++) if (e.target()[t]) ids.add(e.ids()[t]);
            assertEquals(" 7<|eot_id|>", tok.decode(ids.stream().mapToLong(Long::longValue).toArray(), false));
        }
    }

    /** LoRA over a bfloat16 base: the loss starts where float32's does (to bf16 precision) and falls alike. */
    @Test
    void bf16LoraTracksFloat32() throws IOException {
        Path d = textData(24);
        List<Trainer.StepMetrics> f32 = new ArrayList<>(), bf16 = new ArrayList<>();
        new Trainer(lora(d, tmp.resolve("f32"), "float32"), m -> f32.add(m)).run();
        new Trainer(lora(d, tmp.resolve("bf16"), "bf16"), m -> bf16.add(m)).run();
        assertEquals(f32.get(0).loss(), bf16.get(0).loss(), 0.02 * f32.get(0).loss());
        assertTrue(bf16.get(bf16.size() - 1).loss() < bf16.get(0).loss() - 0.1, "the bf16 run learns");
        assertEquals(f32.get(f32.size() - 1).loss(), bf16.get(bf16.size() - 1).loss(), 0.05 * f32.get(0).loss());
        AbsorbException e = assertThrows(AbsorbException.class, () -> new TrainConfig(
                new TrainConfig.Data(LLAMA, d, tmp, DataType.BFLOAT16, 64, false, false), TrainConfig.Lora.OFF,
                new TrainConfig.Optimizer(1e-3, TrainConfig.Schedule.CONSTANT, 0, 0, 0.9, 0.999, 1e-8, 1),
                new TrainConfig.Run(1, 2, 4, 1, 7, 3, 2, 1, false, false)));
        assertTrue(e.getMessage().contains("LoRA adapters only"), e.getMessage());
    }

    /** Resuming a run that already finished trains nothing and reports the loss it ended with. */
    @Test
    void resumingAFinishedRunKeepsItsFinalLoss() throws IOException {
        Path d = textData(8);
        Trainer.Result first = new Trainer(lora(d, tmp.resolve("done"), "float32"), m -> { }).run();
        TrainConfig again = lora(d, tmp.resolve("done"), "float32").withRun(new TrainConfig.Run(1, 8, 4, 1, 3, 0, 2, 1,
                true, false));
        List<Trainer.StepMetrics> steps = new ArrayList<>();
        Trainer.Result second = new Trainer(again, steps::add).run();
        assertTrue(steps.isEmpty(), "no step is trained again");
        assertEquals(first.steps(), second.steps());
        assertEquals(first.finalLoss(), second.finalLoss(), 1e-6);
    }

    private static TrainConfig lora(Path data, Path out, String dtype) {
        return new TrainConfig(new TrainConfig.Data(LLAMA, data, out, Compute.parseDtype(dtype), 64, false, false),
                new TrainConfig.Lora(true, 4, 8, 0.0, LoraAdapter.TARGETS, null),
                new TrainConfig.Optimizer(5e-3, TrainConfig.Schedule.CONSTANT, 0, 0.0, 0.9, 0.999, 1e-8, 1.0),
                new TrainConfig.Run(1, 8, 4, 1, 3, 0, 2, 1, false, false));
    }

    /**
     * A model loaded once serves two LoRA runs (each leaves its adapter attached until it is detached), an evaluation's
     * numbers reach the step metrics and metrics.jsonl, and a run asked to stop returns after that step with a
     * checkpoint, marked as interrupted.
     */
    @Test
    void aLoadedModelTrainsTwiceWithEvaluationsAndStopsWhenAsked() throws IOException {
        Path d = textData(16);
        try (Transformer model = Checkpoint.load(LLAMA, Compute.CPU_FLOAT32)) {
            List<Trainer.StepMetrics> steps = new ArrayList<>();
            Trainer first = new Trainer(lora(d, tmp.resolve("a"), "float32"), steps::add)
                    .evaluateEvery(4, (step, m) -> Map.of("step_seen", (double) step, "adapted",
                            LoraAdapter.attached(m).isEmpty() ? 0.0 : 1.0));
            Trainer.Result a = first.run(model);
            assertEquals(8, a.steps());
            assertFalse(LoraAdapter.attached(model).isEmpty(), "the trained adapter stays attached");
            assertEquals(Map.of("step_seen", 4.0, "adapted", 1.0), steps.get(3).evaluation());
            assertEquals(Map.of(), steps.get(4).evaluation());
            assertTrue(Files.readString(tmp.resolve("a/metrics.jsonl")).contains("\"eval.step_seen\":8.0"));
            LoraAdapter.detach(model);
            assertTrue(LoraAdapter.attached(model).isEmpty());

            Trainer[] second = new Trainer[1];
            second[0] = new Trainer(lora(d, tmp.resolve("b"), "float32"), m -> {
                if (m.step() == 3) second[0].requestStop();
            });
            Trainer.Result b = second[0].run(model);
            assertTrue(b.interrupted());
            assertEquals(3, b.steps());
            assertTrue(Trainer.hasCheckpoints(tmp.resolve("b")), "stopped with a checkpoint");
            assertFalse(Files.exists(tmp.resolve("b/adapter_model.safetensors")), "an interrupted run writes no adapter");
        }
    }

    /**
     * A deterministic run killed with SIGKILL after a checkpoint and resumed ends with the weights of the run that
     * was never interrupted (LoRA with dropout, so the random streams must line up too; decayed toward the weights it
     * started from, which a resumed run must take from the start, not from the checkpoint).
     */
    @Test
    void killedAndResumedRunMatchesUninterruptedRun() throws Exception {
        Path d = textData(40);
        Path whole = tmp.resolve("whole"), killed = tmp.resolve("killed");
        List<String> args = List.of("finetune", "--model", LLAMA.toString(), "--data", d.toString(), "--lora-rank", "4",
                "--lora-dropout", "0.1", "--max-steps", "14", "--batch-size", "4", "--lr", "3e-3", "--schedule",
                "cosine", "--warmup", "2", "--checkpoint-every", "2", "--keep-checkpoints", "3", "--seed", "5",
                "--anchor-decay", "20", "--deterministic", "--log-every", "1");
        assertEquals(0, cli(args, whole, false).waitFor());
        Process p = cli(args, killed, false);
        Path checkpoints = killed.resolve("checkpoints");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.isDirectory(checkpoints.resolve("step-00000006")) && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(20);
        }
        p.destroyForcibly().waitFor(); // SIGKILL, wherever it is
        assertFalse(Files.exists(killed.resolve("adapter_model.safetensors")), "the run was killed before the end");
        assertEquals(0, cli(args, killed, true).waitFor());
        try (Safetensors a = Safetensors.open(whole.resolve("adapter_model.safetensors"));
                Safetensors b = Safetensors.open(killed.resolve("adapter_model.safetensors"));
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertEquals(a.entries().keySet(), b.entries().keySet());
            for (String name : a.entries().keySet()) {
                float[] x = a.read(m, name, DataType.FLOAT32).toFloatArray(), y = b.read(m, name, DataType.FLOAT32).toFloatArray();
                for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6, name + "[" + i + "]");
            }
        }
        List<String> metrics = Files.readAllLines(killed.resolve("metrics.jsonl"));
        assertEquals(14, metrics.size(), "one metrics line per step, none repeated");
    }

    private Process cli(List<String> args, Path out, boolean resume) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "absorb.cli.Main"));
        cmd.addAll(args);
        cmd.addAll(List.of("--out", out.toString()));
        if (resume) cmd.add("--resume");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(out.getFileName() + (resume ? "-resume" : "") + ".log").toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }
}
