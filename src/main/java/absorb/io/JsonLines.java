package absorb.io;

import absorb.AbsorbException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON-lines file written as work proceeds, one record per line, so that an interrupted run keeps what it finished.
 * Reading it back drops a last line cut short by a kill (and rewrites the file without it); anything else that is not
 * JSON is refused with the file and line.
 */
public final class JsonLines implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;

    private JsonLines(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** Opens {@code file} for appending (created if missing). */
    public static JsonLines append(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return new JsonLines(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }

    /** Appends one record; {@link #flush} makes what was written survive a kill. */
    public synchronized void write(JsonNode record) {
        try {
            out.write(JSON.writeValueAsString(record));
            out.write('\n');
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }

    public synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }

    /**
     * The records of {@code file} (none when it does not exist). A last line without its newline, or that does not
     * parse, is what a kill mid-write leaves: it is dropped and the file rewritten without it.
     */
    public static List<JsonNode> read(Path file) {
        if (!Files.isRegularFile(file)) return List.of();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".");
        }
        List<JsonNode> out = new ArrayList<>();
        // every record ends with a newline: what follows the last one is a record cut short
        String[] lines = text.split("\n", -1);
        boolean dropped = !lines[lines.length - 1].isEmpty();
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].isBlank()) continue;
            try {
                out.add(JSON.readTree(lines[i]));
            } catch (IOException e) {
                throw new AbsorbException(file + " line " + (i + 1) + " is not a JSON record; the file is damaged"
                        + " (remove it to start afresh).");
            }
        }
        if (dropped) {
            StringBuilder kept = new StringBuilder();
            for (JsonNode n : out) kept.append(n).append('\n');
            AtomicFile.writeString(file, kept.toString());
        }
        return out;
    }

    /**
     * Each record of {@code file} in order, streamed (none when it does not exist). What follows the last newline, a
     * record cut short by a kill, is cut off the file first.
     */
    public static void forEach(Path file, java.util.function.Consumer<JsonNode> each) {
        if (!Files.isRegularFile(file)) return;
        try {
            dropUnfinishedLine(file);
            try (java.io.BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                int n = 0;
                for (String line; (line = in.readLine()) != null; ) {
                    n++;
                    if (line.isBlank()) continue;
                    JsonNode record;
                    try {
                        record = JSON.readTree(line);
                    } catch (IOException e) {
                        throw new AbsorbException(file + " line " + n + " is not a JSON record; the file is damaged"
                                + " (remove it to start afresh).");
                    }
                    each.accept(record);
                }
            }
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }

    /** Cuts the file after its last newline. */
    private static void dropUnfinishedLine(Path file) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            long end = f.length(), keep = end;
            byte[] buf = new byte[8192];
            while (keep > 0) {
                int n = (int) Math.min(buf.length, keep);
                f.seek(keep - n);
                f.readFully(buf, 0, n);
                int i = n - 1;
                while (i >= 0 && buf[i] != '\n') i--;
                if (i >= 0) {
                    keep = keep - n + i + 1;
                    break;
                }
                keep -= n;
            }
            if (keep < end) f.setLength(keep);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new AbsorbException("Cannot write " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }
}
