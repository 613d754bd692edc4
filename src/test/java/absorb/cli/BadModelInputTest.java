package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken model folders: each must end in one sentence naming the problem and exit code 2, never a crash or hang.
 * Every case starts from a copy of a good fixture and breaks one thing.
 */
class BadModelInputTest {
    private static final Path GOOD = Path.of("src/test/resources/fixtures/engine/llama");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path copy() throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(GOOD)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    private static Cli forward(Path model) {
        return Cli.run("forward", "--model", model.toString(), "--prompt", "hello", "--out",
                model.resolveSibling("out.json").toString());
    }

    private static void assertUserError(Cli r, String... fragments) {
        assertEquals(2, r.exit, r.toString());
        assertTrue(r.oneLine(), "one line expected: " + r);
        for (String f : fragments) assertTrue(r.err.contains(f), "expected '" + f + "' in: " + r.err);
    }

    @Test
    void missingFolder() {
        assertUserError(forward(tmp.resolve("nowhere")), "does not exist");
    }

    @Test
    void missingConfig() throws IOException {
        Path m = copy();
        Files.delete(m.resolve("config.json"));
        assertUserError(forward(m), "has no config.json");
    }

    /** A LoRA adapter folder given where a model belongs, a stray config.json beside its adapter_config.json. */
    @Test
    void adapterGivenAsModel() throws IOException {
        Path a = tmp.resolve("adapter");
        Files.createDirectories(a);
        Files.writeString(a.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"base_model_name_or_path\": \"base-1\"}");
        Files.writeString(a.resolve("config.json"), "{\"command\": \"newnews train\"}");
        Files.writeString(a.resolve("adapter_model.safetensors"), "");
        assertUserError(forward(a), "is a LoRA adapter, not a model", "--adapter", "(base-1)");
    }

    @Test
    void configNotJson() throws IOException {
        Path m = copy();
        Files.writeString(m.resolve("config.json"), "{\"hidden_size\": 64,");
        assertUserError(forward(m), "config.json", "not valid JSON");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path m = copy();
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        c.putArray("architectures").add("GPTNeoXForCausalLM");
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        assertUserError(Cli.run("info", "--model", m.toString()), "GPTNeoXForCausalLM", "LlamaForCausalLM",
                "Qwen2ForCausalLM", "MistralForCausalLM");
    }

    @Test
    void badConfigValue() throws IOException {
        Path m = copy();
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        c.put("num_key_value_heads", 3);
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        assertUserError(forward(m), "num_key_value_heads");
    }

    @Test
    void unsupportedRopeType() throws IOException {
        Path m = copy();
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        ((ObjectNode) c.get("rope_scaling")).put("rope_type", "longrope");
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        assertUserError(forward(m), "longrope", "llama3");
    }

    @Test
    void missingTokenizer() throws IOException {
        Path m = copy();
        Files.delete(m.resolve("tokenizer.json"));
        assertUserError(forward(m), "has no tokenizer.json");
    }

    @Test
    void missingWeights() throws IOException {
        Path m = copy();
        Files.delete(m.resolve("model.safetensors"));
        assertUserError(forward(m), "neither model.safetensors nor");
    }

    @Test
    void truncatedWeights() throws IOException {
        Path m = copy();
        Path w = m.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(w.toFile(), "rw")) {
            f.setLength(f.length() - 1000);
        }
        assertUserError(forward(m), w.toString(), "truncated");
    }

    @Test
    void fileShorterThanItsHeader() throws IOException {
        Path m = copy();
        Path w = m.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(w.toFile(), "rw")) {
            f.setLength(100);
        }
        assertUserError(forward(m), w.toString(), "header");
    }

    @Test
    void emptyWeightsFile() throws IOException {
        Path m = copy();
        Files.write(m.resolve("model.safetensors"), new byte[0]);
        assertUserError(forward(m), "shorter than the 8-byte header length");
    }

    @Test
    void headerThatLiesAboutSizes() throws IOException {
        Path m = copy();
        rewriteHeader(m.resolve("model.safetensors"), h -> {
            ObjectNode t = (ObjectNode) h.get("model.norm.weight");
            t.putArray("shape").add(65);
        });
        assertUserError(forward(m), "model.norm.weight", "bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path m = copy();
        rewriteHeader(m.resolve("model.safetensors"), h -> {
            ObjectNode a = (ObjectNode) h.get("model.norm.weight");
            ObjectNode b = (ObjectNode) h.get("model.layers.0.input_layernorm.weight");
            b.set("data_offsets", a.get("data_offsets").deepCopy());
        });
        assertUserError(forward(m), "overlap");
    }

    @Test
    void headerNotJson() throws IOException {
        Path m = copy();
        Path w = m.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(w);
        bytes[8] = '!';
        Files.write(w, bytes);
        assertUserError(forward(m), "not valid JSON");
    }

    @Test
    void wrongDtype() throws IOException {
        Path m = copy();
        rewriteHeader(m.resolve("model.safetensors"), h -> {
            ObjectNode t = (ObjectNode) h.get("model.norm.weight");
            // 64 float32 = 256 bytes = 32 int64: a valid file, a dtype absorb cannot compute with
            t.put("dtype", "I64");
            t.putArray("shape").add(32);
        });
        assertUserError(forward(m), "I64", "F32, F16, BF16");
    }

    @Test
    void missingTensor() throws IOException {
        Path m = copy();
        rewriteHeader(m.resolve("model.safetensors"), h -> h.set("model.layers.2.mlp.up_proj.weight_renamed",
                h.remove("model.layers.2.mlp.up_proj.weight")));
        assertUserError(forward(m), "lacks tensor model.layers.2.mlp.up_proj.weight");
    }

    @Test
    void shapeThatDisagreesWithConfig() throws IOException {
        Path m = copy();
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        c.put("intermediate_size", 97);
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        assertUserError(forward(m), "shape", "config.json implies");
    }

    /** info runs loading's checks and reports every problem, one line each, and no description. */
    @Test
    void infoReportsEveryProblemAndNoDescription() throws IOException {
        Path m = copy();
        rewriteHeader(m.resolve("model.safetensors"), h -> h.set("model.layers.2.mlp.up_proj.weight_renamed",
                h.remove("model.layers.2.mlp.up_proj.weight")));
        Files.delete(m.resolve("tokenizer.json"));
        Cli r = Cli.run("info", "--model", m.toString());
        assertEquals(2, r.exit, r.toString());
        assertEquals(2, r.err.strip().lines().count(), r.toString());
        assertTrue(r.err.contains("lacks tensor model.layers.2.mlp.up_proj.weight"), r.err);
        assertTrue(r.err.contains("has no tokenizer.json"), r.err);
        assertTrue(!r.err.contains("architecture"), r.err);
        ObjectNode c = (ObjectNode) JSON.readTree(m.resolve("config.json").toFile());
        c.put("intermediate_size", 97);
        JSON.writeValue(m.resolve("config.json").toFile(), c);
        Cli shapes = Cli.run("info", "--model", m.toString());
        assertEquals(2, shapes.exit);
        assertTrue(shapes.err.lines().filter(l -> l.contains("config.json implies")).count() >= 2, shapes.err);
    }

    @Test
    void infoOnAGoodFolderDescribesIt() {
        assertEquals(0, Cli.run("info", "--model", GOOD.toString()).exit);
    }

    @Test
    void shardIndexNamingAMissingShard() throws IOException {
        Path m = tmp.resolve("mistral");
        Files.createDirectories(m);
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/fixtures/engine/mistral"))) {
            for (Path f : files.toList()) Files.copy(f, m.resolve(f.getFileName()));
        }
        Files.delete(m.resolve("model-00002-of-00004.safetensors"));
        assertUserError(forward(m), "model-00002-of-00004.safetensors");
    }

    @Test
    void badOptions() {
        Cli r = Cli.run("generate", "--model", GOOD.toString(), "--prompt", "hi", "--top-p", "1.5");
        assertUserError(r, "--top-p");
        r = Cli.run("generate", "--model", GOOD.toString(), "--prompt", "hi", "--dtype", "int4");
        assertUserError(r, "--dtype int4");
        r = Cli.run("bench", "--shape", "huge");
        assertUserError(r, "--shape huge");
        r = Cli.run("generate", "--model", GOOD.toString(), "--prompt", "hi", "--system", "x");
        assertUserError(r, "--system needs --chat");
    }

    @Test
    void unknownOptionExitsTwo() {
        Cli r = Cli.run("info", "--model", GOOD.toString(), "--frobnicate");
        assertEquals(2, r.exit, r.toString());
        assertTrue(r.err.contains("--frobnicate"), r.err);
    }

    @Test
    void outputUnderAFile() throws IOException {
        Path blocker = tmp.resolve("a-file");
        Files.writeString(blocker, "not a folder");
        Cli r = Cli.run("forward", "--model", GOOD.toString(), "--prompt", "hi", "--out",
                blocker.resolve("x.json").toString());
        assertUserError(r, "Cannot write");
        assertTrue(Files.isRegularFile(blocker));
    }

    /** Rewrites a safetensors header in place, keeping the data section. */
    private static void rewriteHeader(Path file, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        edit.accept(header);
        byte[] json = JSON.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + bytes.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(bytes, 8 + (int) n, bytes.length - 8 - (int) n);
        Files.write(file, out.array());
    }
}
