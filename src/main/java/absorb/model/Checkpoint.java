package absorb.model;

import absorb.io.AtomicFile;
import absorb.io.JsonFiles;
import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model folder as Hugging Face writes it: {@code config.json}, and weights in {@code model.safetensors} or in
 * shards listed by {@code model.safetensors.index.json}. Loading checks every tensor the configuration implies
 * (present, right shape, readable dtype) before the model is built.
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String INDEX = "model.safetensors.index.json";

    private Checkpoint() {}

    /** The configuration of a model folder, with checks that name the folder. */
    public static ModelConfig config(Path dir) {
        requireFolder(dir);
        if (Files.isRegularFile(dir.resolve("adapter_config.json")) && !Files.isRegularFile(dir.resolve("model.safetensors"))
                && !Files.isRegularFile(dir.resolve(INDEX))) {
            String base = JsonFiles.readObject(dir.resolve("adapter_config.json"), "Adapter config")
                    .path("base_model_name_or_path").asText("");
            throw new AbsorbException(dir + " is a LoRA adapter, not a model: pass it as --adapter, with its base model as"
                    + " --model" + (base.isEmpty() ? "." : " (" + base + ")."));
        }
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new AbsorbException("Model folder " + dir + " has no config.json.");
        }
        return ModelConfig.read(config);
    }

    static void requireFolder(Path dir) {
        if (!Files.exists(dir)) throw new AbsorbException("Model folder " + dir + " does not exist.");
        if (!Files.isDirectory(dir)) throw new AbsorbException("Model path " + dir + " is not a folder.");
    }

    /** Loads the model in {@code dir} onto {@code compute}'s device and dtype. */
    public static Transformer load(Path dir, Compute compute) {
        return load(dir, config(dir), compute);
    }

    /** Loads the model in {@code dir}, whose config.json has been read as {@code config}. */
    public static Transformer load(Path dir, ModelConfig config, Compute compute) {
        Map<String, Path> location = tensorLocations(dir);
        Map<String, Shape> expected = CheckpointTensors.expected(config);
        Map<Path, Safetensors> files = new LinkedHashMap<>();
        NDManager manager = compute.newManager();
        try {
            for (Path p : new LinkedHashSet<>(location.values())) files.put(p, Safetensors.open(p));
            // Check everything before reading anything: a bad checkpoint fails fast and whole.
            List<String> problems = tensorProblems(dir, config, location, files);
            if (!problems.isEmpty()) throw new AbsorbException(problems.get(0));
            // Wide projections are read straight into the transposed layout the model keeps them in.
            java.util.Set<String> transposed = CheckpointTensors.readTransposed(config);
            // Read as the model asks for each tensor, so that its blocks are laid out (see Block.fuse) one by one.
            return Transformer.of(config, compute, manager, name -> {
                if (!expected.containsKey(name)) return null;
                Safetensors st = files.get(location.get(name));
                return transposed.contains(name) ? st.readTransposed(manager, name, compute.dtype())
                        : st.read(manager, name, compute.dtype());
            }, transposed);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        } finally {
            files.values().forEach(Safetensors::close);
        }
    }

    /** Every expected tensor that is missing, misplaced by the index, of an unreadable dtype or of the wrong shape. */
    private static List<String> tensorProblems(Path dir, ModelConfig config, Map<String, Path> location,
            Map<Path, Safetensors> files) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Shape> e : CheckpointTensors.expected(config).entrySet()) {
            Path file = location.get(e.getKey());
            if (file == null) {
                problems.add("Checkpoint " + dir + " lacks tensor " + e.getKey() + ", which " + config.architecture()
                        + " with this config.json needs.");
                continue;
            }
            Safetensors st = files.get(file);
            if (st == null) continue; // the file itself is unreadable, reported on its own
            Safetensors.Entry entry = st.entries().get(e.getKey());
            if (entry == null) {
                problems.add(INDEX + " in " + dir + " places " + e.getKey() + " in " + file.getFileName()
                        + ", which does not hold it.");
                continue;
            }
            try {
                Safetensors.dataType(file, entry);
            } catch (AbsorbException bad) {
                problems.add(bad.getMessage());
                continue;
            }
            if (!Arrays.equals(entry.shape(), e.getValue().getShape())) {
                problems.add("Tensor " + e.getKey() + " in " + file + " has shape " + Arrays.toString(entry.shape())
                        + " but config.json implies " + e.getValue() + ".");
            }
        }
        return problems;
    }

    /**
     * Everything loading {@code dir} would check, without loading it: config.json, the weight files' headers, every
     * tensor the config implies, the tokenizer and generation_config.json. One sentence per problem; empty when the
     * folder loads. A problem that stops the checks (no config.json) is the only one reported.
     */
    public static List<String> problems(Path dir) {
        List<String> problems = new ArrayList<>();
        ModelConfig config;
        try {
            config = config(dir);
        } catch (AbsorbException e) {
            return List.of(e.getMessage());
        }
        Map<String, Path> location = null;
        try {
            location = tensorLocations(dir);
        } catch (AbsorbException e) {
            problems.add(e.getMessage());
        }
        if (location != null) {
            Map<Path, Safetensors> files = new LinkedHashMap<>();
            try {
                for (Path p : new LinkedHashSet<>(location.values())) {
                    try {
                        files.put(p, Safetensors.open(p));
                    } catch (AbsorbException e) {
                        problems.add(e.getMessage());
                    }
                }
                problems.addAll(tensorProblems(dir, config, location, files));
            } finally {
                files.values().forEach(Safetensors::close);
            }
        }
        try (Tokenizer tok = Tokenizer.load(dir)) {
            tok.size();
        } catch (AbsorbException e) {
            problems.add(e.getMessage());
        }
        try {
            GenerationConfig.read(dir, config);
        } catch (AbsorbException e) {
            problems.add(e.getMessage());
        }
        return problems;
    }

    /** Which file holds each tensor: the index's weight_map for sharded folders, else model.safetensors. */
    static Map<String, Path> tensorLocations(Path dir) {
        Path index = dir.resolve(INDEX);
        Path single = dir.resolve("model.safetensors");
        Map<String, Path> out = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            JsonNode root = JsonFiles.readObject(index, "Index");
            JsonNode map = root.get("weight_map");
            if (map == null || !map.isObject()) throw new AbsorbException("Index " + index + " has no weight_map object.");
            map.properties().forEach(e -> {
                Path shard = dir.resolve(e.getValue().asText()).normalize();
                if (!shard.startsWith(dir.normalize()) || !Files.isRegularFile(shard)) {
                    throw new AbsorbException("Index " + index + " names shard " + e.getValue().asText()
                            + ", which is not in " + dir + ".");
                }
                out.put(e.getKey(), shard);
            });
            return out;
        }
        if (!Files.isRegularFile(single)) {
            String hint = Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))
                    ? " (absorb reads safetensors, not pytorch_model.bin: convert the checkpoint first)" : "";
            throw new AbsorbException("Model folder " + dir + " has neither model.safetensors nor " + INDEX + hint + ".");
        }
        try (Safetensors st = Safetensors.open(single)) {
            for (String name : st.entries().keySet()) out.put(name, single);
        }
        return out;
    }

    /** Total bytes of the weight files (what reading the checkpoint touches). */
    public static long weightBytes(Path dir) {
        long total = 0;
        for (Path p : new LinkedHashSet<>(tensorLocations(dir).values())) {
            try {
                total += Files.size(p);
            } catch (IOException e) {
                throw new AbsorbException("Cannot read " + p + ": " + AtomicFile.describe(e) + ".");
            }
        }
        return total;
    }

    /**
     * Writes {@code model} as a Hugging Face folder: config.json and model.safetensors (weights in the model's
     * compute dtype unless {@code dtype} names another). Tokenizer files are copied from {@code tokenizerFrom} when
     * given.
     */
    public static void save(Transformer model, Path dir, Path tokenizerFrom) {
        save(model, dir, tokenizerFrom, model.compute().dtype());
    }

    /** As {@link #save(Transformer, Path, Path)}, with the weights written in {@code dtype}. */
    public static void save(Transformer model, Path dir, Path tokenizerFrom, ai.djl.ndarray.types.DataType dtype) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AbsorbException("Cannot create " + dir + ": " + AtomicFile.describe(e) + ".");
        }
        ObjectNode config = model.config().toJson();
        config.put("dtype", Compute.dtypeName(dtype));
        config.put("transformers_version", "5.18.0");
        try (NDManager scope = model.manager().newSubManager()) {
            Map<String, NDArray> tensors = new TreeMap<>();
            model.namedWeights(scope).forEach((name, w) -> {
                NDArray cast = Compute.cast(w, dtype);
                if (cast != w) cast.attach(scope);
                tensors.put(name, cast);
            });
            Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        }
        writeJson(dir.resolve("config.json"), config);
        if (tokenizerFrom != null) copyTokenizerFiles(tokenizerFrom, dir);
    }

    /** Tokenizer and generation files travel with a model. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "chat_template.jinja", "special_tokens_map.json", "generation_config.json");

    public static void copyTokenizerFiles(Path from, Path to) {
        if (from.toAbsolutePath().normalize().equals(to.toAbsolutePath().normalize())) return;
        for (String name : TOKENIZER_FILES) {
            Path src = from.resolve(name);
            if (!Files.isRegularFile(src)) continue;
            try {
                byte[] bytes = Files.readAllBytes(src);
                AtomicFile.write(to.resolve(name), out -> out.write(bytes));
            } catch (IOException e) {
                throw new AbsorbException("Cannot read " + src + ": " + AtomicFile.describe(e) + ".");
            }
        }
    }

    public static void writeJson(Path file, JsonNode node) {
        AtomicFile.writeJson(file, node, true);
    }
}
