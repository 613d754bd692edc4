package absorb.news;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.Hashes;
import absorb.io.JsonFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One stage of an experiment in its own folder (a baseline, a protocol's data, a fine-tuned adapter, an
 * evaluation), cached with a fingerprint of its inputs in {@code stage.json}: a rerun skips a finished stage whose
 * inputs are the same, continues an unfinished one, and redoes (after clearing its folder) one whose inputs changed.
 */
public final class Stage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final ObjectNode inputs;
    private final String fingerprint;

    /** The stage in {@code dir} for {@code inputs} (everything its result depends on, as JSON). */
    public Stage(Path dir, ObjectNode inputs) {
        this.dir = dir;
        this.inputs = inputs;
        this.fingerprint = Hashes.sha256(inputs.toString());
    }

    public Path dir() {
        return dir;
    }

    public String fingerprint() {
        return fingerprint;
    }

    private JsonNode saved() {
        Path f = dir.resolve("stage.json");
        return Files.isRegularFile(f) ? JsonFiles.readObject(f, "Stage record") : null;
    }

    /** Whether the stage finished with these inputs (its outputs can be used as they are). */
    public boolean done() {
        JsonNode s = saved();
        return s != null && s.path("fingerprint").asText().equals(fingerprint) && s.path("complete").asBoolean();
    }

    /** The record of the finished stage (its compute and results), or null. */
    public JsonNode record() {
        return done() ? saved() : null;
    }

    /**
     * Starts (or continues) the stage: a folder left by other inputs is cleared first. Returns whether work from an
     * earlier, interrupted attempt with the same inputs is there to continue.
     */
    public boolean begin() {
        JsonNode s = saved();
        boolean same = s != null && s.path("fingerprint").asText().equals(fingerprint);
        if (!same) clear();
        ObjectNode o = JSON.createObjectNode();
        o.put("fingerprint", fingerprint);
        o.put("complete", false);
        o.set("inputs", inputs);
        AtomicFile.writeString(dir.resolve("stage.json"), o.toPrettyString());
        return same;
    }

    /** Marks the stage finished, recording {@code result} (compute, counts, accuracies). */
    public void finish(ObjectNode result) {
        ObjectNode o = JSON.createObjectNode();
        o.put("fingerprint", fingerprint);
        o.put("complete", true);
        o.set("inputs", inputs);
        o.set("result", result);
        AtomicFile.writeString(dir.resolve("stage.json"), o.toPrettyString());
    }

    private void clear() {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        } catch (IOException e) {
            throw new AbsorbException("Cannot clear the stage folder " + dir + ": " + e.getMessage() + ".");
        }
    }
}
