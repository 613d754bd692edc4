package absorb.model;

import absorb.io.JsonFiles;
import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * LoRA adapters in PEFT's format: {@code adapter_config.json} and {@code adapter_model.safetensors} with tensors named
 * {@code base_model.model.<module>.lora_A.weight} ([r, in]) and {@code ...lora_B.weight} ([out, r]). A projection W
 * becomes W + (alpha / r) B A (alpha / sqrt(r) with rsLoRA).
 */
public final class LoraAdapter {
    /** The projections LoRA can target, by their transformers names. */
    public static final List<String> TARGETS = Projection.SHORT_NAMES;

    private static final String PREFIX = "base_model.model.";

    /**
     * What PEFT's LoraConfig says, as far as it changes the numbers.
     *
     * @param rankPattern per-module rank overrides (module-name regex to rank), as PEFT's rank_pattern
     * @param alphaPattern per-module alpha overrides, as PEFT's alpha_pattern
     */
    public record Config(int rank, double alpha, double dropout, List<String> targetModules, boolean useRslora,
            Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, String baseModel) {

        public Config {
            if (rank < 1) throw new AbsorbException("--lora-rank must be at least 1, not " + rank + ".");
            if (!(alpha > 0)) throw new AbsorbException("--lora-alpha must be positive, not " + alpha + ".");
            if (dropout < 0 || dropout >= 1) throw new AbsorbException("--lora-dropout must be in [0, 1), not " + dropout + ".");
            if (targetModules.isEmpty()) throw new AbsorbException("--lora-targets names no module.");
            for (String t : targetModules) {
                if (!TARGETS.contains(t)) {
                    throw new AbsorbException("LoRA target " + t + " is not a projection of this model; use any of "
                            + String.join(",", TARGETS) + ".");
                }
            }
            targetModules = List.copyOf(targetModules);
            rankPattern = Map.copyOf(rankPattern);
            alphaPattern = Map.copyOf(alphaPattern);
        }

        public static Config of(int rank, double alpha, double dropout, List<String> targets) {
            return new Config(rank, alpha, dropout, targets, false, Map.of(), Map.of(), null);
        }

        /** Rank of one module, after rank_pattern. */
        int rankOf(String module) {
            for (Map.Entry<String, Integer> e : rankPattern.entrySet()) if (matches(e.getKey(), module)) return e.getValue();
            return rank;
        }

        double alphaOf(String module) {
            for (Map.Entry<String, Double> e : alphaPattern.entrySet()) if (matches(e.getKey(), module)) return e.getValue();
            return alpha;
        }

        /** scaling = alpha / r, or alpha / sqrt(r) with rsLoRA. */
        double scalingOf(String module) {
            int r = rankOf(module);
            return alphaOf(module) / (useRslora ? Math.sqrt(r) : r);
        }

        /** PEFT's rule: a pattern matches a module name if the name ends with it (as a whole dotted part). */
        private static boolean matches(String pattern, String module) {
            return Pattern.compile("(.*\\.)?(" + pattern + ")$").matcher(module).matches();
        }

        boolean targets(String module) {
            String last = module.substring(module.lastIndexOf('.') + 1);
            return targetModules.contains(last);
        }
    }

    private LoraAdapter() {}

    /** transformers' module name of projection j (q, k, v, o, gate, up, down) of layer i. */
    public static String moduleName(int layer, int projection) {
        return Projection.values()[projection].moduleIn(layer);
    }

    /**
     * Adds fresh adapters to the targeted projections: A uniform in ±1/sqrt(in) (PEFT's default Kaiming init), B
     * zero, so the model starts unchanged. Returns the new tensors by PEFT name (A then B per module).
     */
    public static Map<String, NDArray> attachNew(Transformer model, Config config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        NDManager m = model.manager();
        for (int i = 0; i < model.layers(); i++) {
            List<Linear> lins = model.block(i).projections();
            for (int j = 0; j < lins.size(); j++) {
                String module = moduleName(i, j);
                if (!config.targets(module)) continue;
                Linear lin = lins.get(j);
                int r = config.rankOf(module), in = lin.inFeatures();
                float bound = (float) (1.0 / Math.sqrt(in));
                float[] a = new float[r * in];
                for (int k = 0; k < a.length; k++) a[k] = (float) ((random.nextDouble() * 2 - 1) * bound);
                NDArray aT = m.create(a, new Shape(r, in));
                NDArray bT = m.zeros(new Shape(lin.outFeatures(), r), DataType.FLOAT32);
                lin.setAdapter(aT, bT, config.scalingOf(module));
                params.put(PREFIX + module + ".lora_A.weight", aT);
                params.put(PREFIX + module + ".lora_B.weight", bT);
            }
            model.block(i).invalidate();
        }
        if (params.isEmpty()) throw new AbsorbException("The LoRA targets match no projection of this model.");
        return params;
    }

    /** The adapter tensors attached to {@code model}, by PEFT name (A then B per module, in the model's order). */
    public static Map<String, NDArray> attached(Transformer model) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < model.layers(); i++) {
            List<Linear> lins = model.block(i).projections();
            for (int j = 0; j < lins.size(); j++) {
                if (!lins.get(j).hasAdapter()) continue;
                String module = moduleName(i, j);
                out.put(PREFIX + module + ".lora_A.weight", lins.get(j).loraA());
                out.put(PREFIX + module + ".lora_B.weight", lins.get(j).loraB());
            }
        }
        return out;
    }

    /** Reads a PEFT adapter folder and attaches it to {@code model}, in the model's compute dtype. */
    public static Config load(Path dir, Transformer model) {
        return load(dir, model, model.compute().dtype());
    }

    /** As {@link #load(Path, Transformer)}, with the adapter's tensors in {@code dtype} (float32 to train them). */
    public static Config load(Path dir, Transformer model, DataType dtype) {
        Config config = readConfig(dir);
        Path weights = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(weights)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin"))
                    ? " (absorb reads safetensors, not adapter_model.bin)" : "";
            throw new AbsorbException("Adapter folder " + dir + " has no adapter_model.safetensors" + hint + ".");
        }
        NDManager m = model.manager();
        try (Safetensors st = Safetensors.open(weights)) {
            Map<String, Safetensors.Entry> entries = st.entries();
            int attached = 0;
            for (int i = 0; i < model.layers(); i++) {
                List<Linear> lins = model.block(i).projections();
                for (int j = 0; j < lins.size(); j++) {
                    String module = moduleName(i, j);
                    String a = key(entries, module, "lora_A"), b = key(entries, module, "lora_B");
                    if (a == null && b == null) continue;
                    if (a == null || b == null) {
                        throw new AbsorbException("Adapter " + weights + " has only one of lora_A and lora_B for " + module + ".");
                    }
                    Linear lin = lins.get(j);
                    int r = (int) entries.get(a).shape()[0];
                    checkShape(weights, a, entries.get(a).shape(), r, lin.inFeatures());
                    checkShape(weights, b, entries.get(b).shape(), lin.outFeatures(), r);
                    NDArray aT = st.read(m, a, dtype), bT = st.read(m, b, dtype);
                    lin.setAdapter(aT, bT, config.scalingOf(module));
                    attached++;
                }
                model.block(i).invalidate();
            }
            if (attached == 0) throw new AbsorbException("Adapter " + weights + " holds no LoRA weights for this model's projections.");
        }
        return config;
    }

    private static void checkShape(Path file, String name, long[] shape, long rows, long cols) {
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new AbsorbException("Adapter tensor " + name + " in " + file + " has shape " + java.util.Arrays.toString(shape)
                    + " but the model needs [" + rows + ", " + cols + "].");
        }
    }

    /** The adapter's key for a module's A or B, with or without PEFT's prefix and adapter name. */
    private static String key(Map<String, Safetensors.Entry> entries, String module, String which) {
        for (String k : List.of(PREFIX + module + "." + which + ".weight", module + "." + which + ".weight",
                PREFIX + module + "." + which + ".default.weight")) {
            if (entries.containsKey(k)) return k;
        }
        return null;
    }

    /**
     * Refuses an adapter whose recorded base model is a folder here with another config.json than {@code model}'s
     * (an adapter trained on another model; one naming a hub model cannot be checked this way, its shapes are).
     */
    public static void checkBase(Path adapter, Path model) {
        Config c = readConfig(adapter);
        if (c.baseModel() == null) return;
        Path base = Path.of(c.baseModel());
        if (!Files.isRegularFile(base.resolve("config.json")) || !Files.isRegularFile(model.resolve("config.json"))) return;
        JsonNode a = JsonFiles.readObject(base.resolve("config.json"), "Model config");
        JsonNode b = JsonFiles.readObject(model.resolve("config.json"), "Model config");
        if (!a.equals(b)) {
            throw new AbsorbException("Adapter " + adapter + " was trained on " + base + ", whose config.json differs from"
                    + " that of " + model + "; use it with the model it was trained on.");
        }
    }

    public static Config readConfig(Path dir) {
        if (!Files.isDirectory(dir)) throw new AbsorbException("Adapter folder " + dir + " does not exist.");
        JsonNode c = JsonFiles.readObject(dir.resolve("adapter_config.json"), "Adapter config");
        String type = c.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) throw new AbsorbException("Adapter " + dir + " is " + type + "; absorb reads LoRA adapters.");
        if (c.path("use_dora").asBoolean(false)) throw new AbsorbException("Adapter " + dir + " uses DoRA, which absorb does not read.");
        if (!c.path("bias").asText("none").equals("none")) {
            throw new AbsorbException("Adapter " + dir + " trains biases (bias=" + c.path("bias").asText() + "); absorb reads bias=none.");
        }
        JsonNode save = c.get("modules_to_save");
        if (save != null && !save.isNull() && save.size() > 0) {
            throw new AbsorbException("Adapter " + dir + " saves whole modules (modules_to_save); absorb reads LoRA weights only.");
        }
        if (c.path("fan_in_fan_out").asBoolean(false)) {
            throw new AbsorbException("Adapter " + dir + " has fan_in_fan_out=true, which these architectures do not use.");
        }
        List<String> targets = new ArrayList<>();
        JsonNode t = c.get("target_modules");
        if (t != null && t.isArray()) t.forEach(n -> targets.add(n.asText()));
        else if (t != null && t.isTextual()) {
            for (String name : TARGETS) if (Pattern.compile("(.*\\.)?(" + t.asText() + ")$").matcher("x." + name).matches()) targets.add(name);
        }
        targets.removeIf(name -> !TARGETS.contains(name));
        if (targets.isEmpty()) throw new AbsorbException("Adapter " + dir + " targets no projection absorb knows (" + t + ").");
        Map<String, Integer> ranks = new LinkedHashMap<>();
        c.path("rank_pattern").properties().forEach(e -> ranks.put(e.getKey(), e.getValue().asInt()));
        Map<String, Double> alphas = new LinkedHashMap<>();
        c.path("alpha_pattern").properties().forEach(e -> alphas.put(e.getKey(), e.getValue().asDouble()));
        return new Config(c.path("r").asInt(8), c.path("lora_alpha").asDouble(8), c.path("lora_dropout").asDouble(0),
                targets, c.path("use_rslora").asBoolean(false), ranks, alphas,
                c.path("base_model_name_or_path").isTextual() ? c.get("base_model_name_or_path").asText() : null);
    }

    /** Writes the adapters attached to {@code model} as a PEFT folder (float32 weights). */
    public static void save(Transformer model, Config config, Path dir) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager scope = model.manager().newSubManager()) {
            for (int i = 0; i < model.layers(); i++) {
                List<Linear> lins = model.block(i).projections();
                for (int j = 0; j < lins.size(); j++) {
                    Linear lin = lins.get(j);
                    if (!lin.hasAdapter()) continue;
                    String module = moduleName(i, j);
                    tensors.put(PREFIX + module + ".lora_A.weight", float32(lin.loraA(), scope));
                    tensors.put(PREFIX + module + ".lora_B.weight", float32(lin.loraB(), scope));
                }
            }
            Safetensors.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        }
        Checkpoint.writeJson(dir.resolve("adapter_config.json"), configJson(config));
    }

    /** A float32 copy of {@code x} owned by {@code scope}, so that what is computed from it stays in the scope. */
    private static NDArray inScope(NDArray x, NDManager scope) {
        NDArray c = Compute.cast(x, DataType.FLOAT32);
        c = c == x ? x.duplicate() : c;
        c.attach(scope);
        return c;
    }

    private static NDArray float32(NDArray x, NDManager scope) {
        NDArray f = Compute.cast(x, DataType.FLOAT32);
        if (f != x) f.attach(scope);
        return f;
    }

    static ObjectNode configJson(Config c) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", "CAUSAL_LM");
        o.put("r", c.rank());
        o.put("lora_alpha", c.alpha());
        o.put("lora_dropout", c.dropout());
        ArrayNode t = o.putArray("target_modules");
        c.targetModules().forEach(t::add);
        o.put("bias", "none");
        o.put("fan_in_fan_out", false);
        o.put("use_rslora", c.useRslora());
        o.put("use_dora", false);
        o.put("init_lora_weights", true);
        o.put("inference_mode", true);
        o.putNull("modules_to_save");
        o.putNull("layers_to_transform");
        o.putNull("layers_pattern");
        ObjectNode rp = o.putObject("rank_pattern");
        c.rankPattern().forEach(rp::put);
        ObjectNode ap = o.putObject("alpha_pattern");
        c.alphaPattern().forEach(ap::put);
        if (c.baseModel() != null) o.put("base_model_name_or_path", c.baseModel());
        else o.putNull("base_model_name_or_path");
        o.putNull("revision");
        return o;
    }

    /** Folds every attached adapter into its projection: W += scaling * B A, then drops the adapter. */
    public static void merge(Transformer model) {
        for (int i = 0; i < model.layers(); i++) {
            for (Linear lin : model.block(i).projections()) {
                if (!lin.hasAdapter()) continue;
                try (NDManager scope = model.manager().newSubManager()) {
                    NDArray a = inScope(lin.loraA(), scope), b = inScope(lin.loraB(), scope);
                    NDArray delta = b.matMul(a).mul(lin.loraScaling()); // [out, in]
                    if (lin.isTransposed()) delta = delta.transpose(1, 0);
                    // in place: the weight may be a view of the block's fused projections
                    WeightKernels.addInto(lin.storedWeight(), delta);
                }
                lin.loraA().close();
                lin.loraB().close();
                lin.setAdapter(null, null, 0);
            }
            model.block(i).invalidate();
        }
    }

    /** Removes every attached adapter (the base weights are untouched) and frees its tensors. */
    public static void detach(Transformer model) {
        for (int i = 0; i < model.layers(); i++) {
            for (Linear lin : model.block(i).projections()) {
                if (!lin.hasAdapter()) continue;
                lin.loraA().close();
                lin.loraB().close();
                lin.setAdapter(null, null, 0);
            }
            model.block(i).invalidate();
        }
    }

    /** Module names that carry adapters, for messages. */
    static List<String> adapted(Transformer model) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < model.layers(); i++) {
            List<Linear> lins = model.block(i).projections();
            for (int j = 0; j < lins.size(); j++) if (lins.get(j).hasAdapter()) out.add(moduleName(i, j));
        }
        return out;
    }
}
