package absorb.io;

import absorb.AbsorbException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the JSON files of a model folder with errors that name the file. */
public final class JsonFiles {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonFiles() {}

    /** The JSON object in {@code file}; {@code what} names it in messages ("Model config", "Index", ...). */
    public static JsonNode readObject(Path file, String what) {
        if (!Files.isRegularFile(file)) throw new AbsorbException(what + " " + file + " does not exist.");
        JsonNode node;
        try {
            node = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new AbsorbException(what + " " + file + " is not valid JSON: " + e.getOriginalMessage() + ".");
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".");
        }
        if (node == null || !node.isObject()) throw new AbsorbException(what + " " + file + " is not a JSON object.");
        return node;
    }
}
