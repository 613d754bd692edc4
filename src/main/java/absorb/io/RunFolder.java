package absorb.io;

import absorb.AbsorbException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An output folder holding one run: its {@code config.json} records everything needed to rerun it. A folder that
 * holds a run is continued only when asked ({@code resume}) and only with the same settings.
 */
public final class RunFolder {
    private RunFolder() {}

    /**
     * Checks {@code out} against {@code config} and writes config.json: a fresh folder gets it; a folder with a run is
     * refused unless {@code resume}, and with {@code resume} unless its settings are {@code config}'s (the fields
     * under {@code ignored} may differ). Returns whether an earlier run is being continued.
     */
    public static boolean prepare(Path out, ObjectNode config, boolean resume, String command, List<String> ignored) {
        return prepare(out, "config.json", config, resume, command, ignored);
    }

    /**
     * {@link #prepare(Path, ObjectNode, boolean, String, List)} with the run's settings in {@code fileName}: for runs
     * whose output is a model or adapter folder, where config.json is the model's own.
     */
    public static boolean prepare(Path out, String fileName, ObjectNode config, boolean resume, String command,
            List<String> ignored) {
        Path file = out.resolve(fileName);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new AbsorbException("--out " + out + " is not a folder.");
        if (!Files.isRegularFile(file)) {
            AtomicFile.writeString(file, config.toPrettyString());
            return false;
        }
        JsonNode saved = JsonFiles.readObject(file, "Run config");
        if (!resume) {
            throw new AbsorbException("Output folder " + out + " already holds a " + command + " run; pass --resume to"
                    + " continue it, or choose another --out.");
        }
        List<String> diffs = new ArrayList<>();
        config.fieldNames().forEachRemaining(k -> {
            if (ignored.contains(k)) return;
            // b as it reads back from the file: numbers written from a long and read as an int must compare equal
            JsonNode a = saved.get(k), b = reread(config.get(k));
            if (a == null || !a.equals(b)) diffs.add(k + " " + (a == null ? "(none)" : a) + " -> " + b);
        });
        if (!diffs.isEmpty()) {
            throw new AbsorbException("Output folder " + out + " holds a run with other settings (" + String.join(", ", diffs)
                    + "); resume it with the same options, or choose another --out.");
        }
        return true;
    }

    private static JsonNode reread(JsonNode n) {
        try {
            return n == null ? null : JsonFiles.MAPPER.readTree(n.toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
