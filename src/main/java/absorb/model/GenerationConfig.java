package absorb.model;

import absorb.io.JsonFiles;
import absorb.AbsorbException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code generation_config.json}: the stop ids and the sampling defaults a checkpoint ships with. Missing fields
 * take transformers' defaults (greedy, temperature 1, top_k 50, top_p 1, no repetition penalty).
 */
public record GenerationConfig(List<Integer> eosTokenIds, Integer bosTokenId, Integer padTokenId, boolean doSample,
        double temperature, int topK, double topP, double repetitionPenalty) {

    /** Reads the folder's generation_config.json if present; stop ids fall back to config.json's eos_token_id. */
    public static GenerationConfig read(Path dir, ModelConfig model) {
        Path file = dir.resolve("generation_config.json");
        JsonNode g = Files.isRegularFile(file)
                ? JsonFiles.readObject(file, "Generation config") : JsonFiles.MAPPER.createObjectNode();
        LinkedHashSet<Integer> eos = new LinkedHashSet<>(ids(g.get("eos_token_id"), file));
        if (eos.isEmpty()) eos.addAll(model.eosTokenIds());
        return new GenerationConfig(
                new ArrayList<>(eos),
                g.hasNonNull("bos_token_id") ? Integer.valueOf(g.get("bos_token_id").asInt()) : model.bosTokenId(),
                g.hasNonNull("pad_token_id") ? Integer.valueOf(g.get("pad_token_id").asInt()) : model.padTokenId(),
                g.path("do_sample").asBoolean(false),
                g.path("temperature").asDouble(1.0),
                g.path("top_k").asInt(50),
                g.path("top_p").asDouble(1.0),
                g.path("repetition_penalty").asDouble(1.0));
    }

    private static List<Integer> ids(JsonNode n, Path file) {
        List<Integer> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (n.isIntegralNumber()) out.add(n.asInt());
        else if (n.isArray()) n.forEach(e -> out.add(e.asInt()));
        else throw new AbsorbException(file + ": eos_token_id must be an integer or a list of integers.");
        return out;
    }
}
