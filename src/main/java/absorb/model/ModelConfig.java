package absorb.model;

import absorb.io.JsonFiles;
import absorb.AbsorbException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A decoder's {@code config.json}, field by field with transformers' names. Reads both layouts in use: the one
 * transformers 4.x writes ({@code rope_theta} and {@code rope_scaling} at the top, {@code torch_dtype}) and the one
 * 5.x writes ({@code rope_parameters}, {@code dtype}).
 *
 * @param architecture LlamaForCausalLM, Qwen2ForCausalLM or MistralForCausalLM
 * @param slidingWindow per layer: the number of most recent positions a query sees, or 0 for all of them
 * @param attentionBias q/k/v projections carry a bias (Llama's attention_bias, always for Qwen2)
 * @param outputBias o_proj carries a bias (Llama's attention_bias)
 * @param mlpBias gate/up/down carry a bias (Llama's mlp_bias)
 * @param torchDtype the dtype the checkpoint was saved in (informative)
 */
public record ModelConfig(
        String architecture,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        RopeParameters rope,
        boolean attentionBias,
        boolean outputBias,
        boolean mlpBias,
        boolean tieWordEmbeddings,
        String hiddenAct,
        int maxPositionEmbeddings,
        int[] slidingWindow,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        String torchDtype) {

    public static final List<String> ARCHITECTURES =
            List.of("LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM");


    public static ModelConfig read(Path file) {
        return parse(JsonFiles.readObject(file, "Model config"), file.toString());
    }

    /** Parses a config object; {@code source} names it in error messages. */
    public static ModelConfig parse(JsonNode c, String source) {
        String architecture = architecture(c, source);
        Fields f = new Fields(c, source);
        String modelType = switch (architecture) {
            case "LlamaForCausalLM" -> "llama";
            case "Qwen2ForCausalLM" -> "qwen2";
            default -> "mistral";
        };
        int hidden = f.positive("hidden_size", null);
        int heads = f.positive("num_attention_heads", null);
        int kvHeads = f.positive("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new AbsorbException(source + ": num_attention_heads (" + heads
                    + ") is not a multiple of num_key_value_heads (" + kvHeads + ").");
        }
        Integer headDimField = f.optionalPositive("head_dim");
        if (headDimField == null && hidden % heads != 0) {
            throw new AbsorbException(source + ": hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                    + heads + ") and no head_dim is given.");
        }
        int headDim = headDimField != null ? headDimField : hidden / heads;
        if (headDim % 2 != 0) throw new AbsorbException(source + ": head_dim " + headDim + " is odd; rotary embeddings need it even.");
        int layers = f.positive("num_hidden_layers", null);
        int maxPositions = f.positive("max_position_embeddings", modelType.equals("llama") ? 2048 : 32768);
        String act = f.text("hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new AbsorbException(source + ": hidden_act " + act + " is not supported; absorb supports silu.");
        }
        if (c.has("partial_rotary_factor") && f.number("partial_rotary_factor", 1.0) != 1.0) {
            throw new AbsorbException(source + ": partial_rotary_factor other than 1 is not supported for " + architecture + ".");
        }
        boolean llama = modelType.equals("llama");
        boolean qwen2 = modelType.equals("qwen2");
        boolean attentionBias = qwen2 || (llama && f.bool("attention_bias", false));
        boolean outputBias = llama && f.bool("attention_bias", false);
        boolean mlpBias = llama && f.bool("mlp_bias", false);
        String dtype = c.has("dtype") ? f.text("dtype", "float32") : f.text("torch_dtype", "float32");
        return new ModelConfig(
                architecture,
                modelType,
                f.positive("vocab_size", null),
                hidden,
                f.positive("intermediate_size", null),
                layers,
                heads,
                kvHeads,
                headDim,
                f.number("rms_norm_eps", 1e-6),
                rope(c, f, source, maxPositions),
                attentionBias,
                outputBias,
                mlpBias,
                f.bool("tie_word_embeddings", false),
                "silu",
                maxPositions,
                slidingWindows(c, f, modelType, layers, source),
                f.optionalInt("bos_token_id"),
                f.intList("eos_token_id"),
                f.optionalInt("pad_token_id"),
                dtype);
    }

    private static String architecture(JsonNode c, String source) {
        JsonNode archs = c.get("architectures");
        if (archs != null && archs.isArray() && archs.size() > 0) {
            String a = archs.get(0).asText();
            if (ARCHITECTURES.contains(a)) return a;
            throw new AbsorbException(source + ": architecture " + a + " is not supported; absorb runs "
                    + String.join(", ", ARCHITECTURES) + ".");
        }
        String type = c.path("model_type").asText("");
        return switch (type) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> throw new AbsorbException(source + ": model_type " + (type.isEmpty() ? "(missing)" : type)
                    + " is not supported; absorb runs " + String.join(", ", ARCHITECTURES) + ".");
        };
    }

    /** rope_parameters (5.x) or rope_theta + rope_scaling (4.x); rope_scaling wins as transformers lets it. */
    private static RopeParameters rope(JsonNode c, Fields f, String source, int maxPositions) {
        JsonNode params = c.get("rope_scaling");
        if (params == null || params.isNull()) params = c.get("rope_parameters");
        double topTheta = f.number("rope_theta", 10000.0);
        if (params == null || params.isNull() || (params.isObject() && params.isEmpty())) {
            return RopeParameters.standard(topTheta);
        }
        if (!params.isObject()) throw new AbsorbException(source + ": rope parameters must be a JSON object.");
        Fields p = new Fields(params, source + " rope parameters");
        String type = p.text("rope_type", p.text("type", "default"));
        double theta = p.number("rope_theta", topTheta);
        if (params.has("partial_rotary_factor") && p.number("partial_rotary_factor", 1.0) != 1.0) {
            throw new AbsorbException(source + ": partial_rotary_factor other than 1 is not supported.");
        }
        return switch (type) {
            case "default" -> RopeParameters.standard(theta);
            case "linear" -> new RopeParameters("linear", theta, p.number("factor", null), 0, 0, 0);
            case "llama3" -> {
                int original = c.has("original_max_position_embeddings")
                        ? f.positive("original_max_position_embeddings", null)
                        : p.positive("original_max_position_embeddings", maxPositions);
                yield new RopeParameters("llama3", theta, p.number("factor", null), p.number("low_freq_factor", null),
                        p.number("high_freq_factor", null), original);
            }
            default -> throw new AbsorbException(source + ": rope type " + type + " is not supported; absorb supports "
                    + String.join(", ", RopeParameters.SUPPORTED) + ".");
        };
    }

    /**
     * Mistral applies sliding_window (when set) to every layer; Qwen2 to the layers layer_types marks
     * sliding_attention, or, in the 4.x layout, to layers from max_window_layers on when use_sliding_window is
     * true; Llama has no sliding window.
     */
    private static int[] slidingWindows(JsonNode c, Fields f, String modelType, int layers, String source) {
        int[] windows = new int[layers];
        if (modelType.equals("llama")) return windows;
        Integer window = f.optionalPositive("sliding_window");
        if (modelType.equals("mistral")) {
            if (window != null) Arrays.fill(windows, window);
            return windows;
        }
        boolean use = f.bool("use_sliding_window", false);
        if (!use || window == null) return windows;
        JsonNode types = c.get("layer_types");
        if (types != null && types.isArray()) {
            if (types.size() != layers) {
                throw new AbsorbException(source + ": layer_types has " + types.size() + " entries for " + layers + " layers.");
            }
            for (int i = 0; i < layers; i++) {
                String t = types.get(i).asText();
                if (t.equals("sliding_attention")) windows[i] = window;
                else if (!t.equals("full_attention")) {
                    throw new AbsorbException(source + ": layer type " + t + " is not supported; absorb supports "
                            + "full_attention and sliding_attention.");
                }
            }
            return windows;
        }
        int from = f.optionalInt("max_window_layers") != null ? f.optionalInt("max_window_layers") : 28;
        for (int i = from; i < layers; i++) windows[i] = window;
        return windows;
    }

    /** Writes this configuration as transformers 5.x does. */
    public ObjectNode toJson() {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        o.putArray("architectures").add(architecture);
        o.put("model_type", modelType);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("head_dim", headDim);
        o.put("hidden_act", hiddenAct);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        ObjectNode r = o.putObject("rope_parameters");
        r.put("rope_type", rope.type());
        r.put("rope_theta", rope.theta());
        if (!rope.type().equals("default")) r.put("factor", rope.factor());
        if (rope.type().equals("llama3")) {
            r.put("low_freq_factor", rope.lowFreqFactor());
            r.put("high_freq_factor", rope.highFreqFactor());
            r.put("original_max_position_embeddings", rope.originalMaxPositionEmbeddings());
        }
        if (modelType.equals("llama")) {
            o.put("attention_bias", attentionBias);
            o.put("mlp_bias", mlpBias);
        }
        int window = Arrays.stream(slidingWindow).max().orElse(0);
        if (modelType.equals("mistral")) {
            if (window > 0) o.put("sliding_window", window);
            else o.putNull("sliding_window");
        } else if (modelType.equals("qwen2")) {
            o.put("use_sliding_window", window > 0);
            if (window > 0) {
                o.put("sliding_window", window);
                ArrayNode types = o.putArray("layer_types");
                for (int w : slidingWindow) types.add(w > 0 ? "sliding_attention" : "full_attention");
            } else {
                o.putNull("sliding_window");
            }
        }
        if (bosTokenId != null) o.put("bos_token_id", bosTokenId);
        else o.putNull("bos_token_id");
        if (eosTokenIds.size() == 1) o.put("eos_token_id", eosTokenIds.get(0));
        else if (eosTokenIds.isEmpty()) o.putNull("eos_token_id");
        else eosTokenIds.forEach(o.putArray("eos_token_id")::add);
        if (padTokenId != null) o.put("pad_token_id", padTokenId);
        o.put("dtype", torchDtype);
        return o;
    }

    /** Parameters in the model (tied embeddings counted once). */
    public long parameterCount() {
        long h = hiddenSize, q = (long) numAttentionHeads * headDim, kv = (long) numKeyValueHeads * headDim;
        long attention = h * q + 2 * h * kv + q * h + (attentionBias ? q + 2 * kv : 0) + (outputBias ? h : 0);
        long mlp = 3 * h * intermediateSize + (mlpBias ? 2L * intermediateSize + h : 0);
        long perLayer = attention + mlp + 2 * h;
        long embeddings = (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2);
        return embeddings + numHiddenLayers * perLayer + h;
    }

    public int kvGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public ModelConfig withVocabSize(int vocab) {
        return new ModelConfig(architecture, modelType, vocab, hiddenSize, intermediateSize, numHiddenLayers,
                numAttentionHeads, numKeyValueHeads, headDim, rmsNormEps, rope, attentionBias, outputBias, mlpBias,
                tieWordEmbeddings, hiddenAct, maxPositionEmbeddings, slidingWindow, bosTokenId, eosTokenIds,
                padTokenId, torchDtype);
    }

    /** Typed access to config fields with errors that name the field. */
    private record Fields(JsonNode c, String source) {
        int positive(String name, Integer fallback) {
            JsonNode n = c.get(name);
            if (n == null || n.isNull()) {
                if (fallback == null) throw new AbsorbException(source + " has no " + name + ".");
                return fallback;
            }
            if (!n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > Integer.MAX_VALUE) {
                throw new AbsorbException(source + ": " + name + " must be a positive integer, not " + n + ".");
            }
            return n.asInt();
        }

        Integer optionalPositive(String name) {
            JsonNode n = c.get(name);
            return n == null || n.isNull() ? null : positive(name, null);
        }

        Integer optionalInt(String name) {
            JsonNode n = c.get(name);
            if (n == null || n.isNull()) return null;
            if (n.isArray() && n.size() > 0 && n.get(0).isIntegralNumber()) return n.get(0).asInt();
            if (!n.isIntegralNumber()) throw new AbsorbException(source + ": " + name + " must be an integer, not " + n + ".");
            return n.asInt();
        }

        List<Integer> intList(String name) {
            JsonNode n = c.get(name);
            List<Integer> out = new ArrayList<>();
            if (n == null || n.isNull()) return out;
            if (n.isIntegralNumber()) {
                out.add(n.asInt());
                return out;
            }
            if (!n.isArray()) throw new AbsorbException(source + ": " + name + " must be an integer or a list of integers.");
            for (JsonNode e : n) {
                if (!e.isIntegralNumber()) throw new AbsorbException(source + ": " + name + " must list integers.");
                out.add(e.asInt());
            }
            return out;
        }

        double number(String name, Double fallback) {
            JsonNode n = c.get(name);
            if (n == null || n.isNull()) {
                if (fallback == null) throw new AbsorbException(source + " has no " + name + ".");
                return fallback;
            }
            if (!n.isNumber()) throw new AbsorbException(source + ": " + name + " must be a number, not " + n + ".");
            return n.asDouble();
        }

        boolean bool(String name, boolean fallback) {
            JsonNode n = c.get(name);
            if (n == null || n.isNull()) return fallback;
            if (!n.isBoolean()) throw new AbsorbException(source + ": " + name + " must be true or false, not " + n + ".");
            return n.asBoolean();
        }

        String text(String name, String fallback) {
            JsonNode n = c.get(name);
            if (n == null || n.isNull()) return fallback;
            return n.asText().toLowerCase(Locale.ROOT);
        }
    }
}
