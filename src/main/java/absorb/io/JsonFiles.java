package absorb.io;

import absorb.AbsorbException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            throw new AbsorbException(what + " " + file + " is not valid JSON " + syntaxError(e, true) + ".");
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".");
        }
        if (node == null || !node.isObject()) throw new AbsorbException(what + " " + file + " is not a JSON object.");
        return node;
    }

    /** Jackson's account of a syntax error, matched to what the reader is told instead (no parser internals). */
    private record Plain(Pattern jackson, String said) {}

    private static final String VALUE = "a value (a string in double quotes, a number, true, false, null, a list or an"
            + " object)";
    private static final List<Plain> PLAIN = List.of(
            new Plain(Pattern.compile("was expecting comma to separate Object entries"), "expected ',' or '}' after a value"),
            new Plain(Pattern.compile("was expecting comma to separate Array entries"), "expected ',' or ']' after a list entry"),
            new Plain(Pattern.compile("was expecting double-quote to start field name"), "expected a field name in double quotes"),
            new Plain(Pattern.compile("was expecting a colon to separate field name and value"), "expected ':' after the field name"),
            new Plain(Pattern.compile("expected close marker for Object"), "the text ends before '}' closes the object"),
            new Plain(Pattern.compile("expected close marker for Array"), "the text ends before ']' closes the list"),
            new Plain(Pattern.compile("was expecting closing quote for a string value"),
                    "the text ends inside a string (expected a closing '\"')"),
            new Plain(Pattern.compile("^Unrecognized token '([^']*)'"), "expected " + VALUE + ", found '$1'"),
            new Plain(Pattern.compile("expected a valid value"), "expected " + VALUE),
            new Plain(Pattern.compile("CTRL-CHAR, code (\\d+)"), "a control character ($1) inside a string must be escaped"
                    + " (\\t, \\n, ...)"),
            new Plain(Pattern.compile("^Unrecognized character escape '(.)'"), "\\$1 is not an escape a JSON string may use"),
            new Plain(Pattern.compile("^Trailing token"), "expected the end of the line after the JSON value"),
            new Plain(Pattern.compile("^Unexpected close marker '(.)'"), "found '$1' with nothing open to close"),
            new Plain(Pattern.compile("(?:Invalid numeric value|in numeric value): (.*)"), "not a valid number ($1)"));

    /** The character Jackson found where it expected another: "Unexpected character ('"' (code 34))". */
    private static final Pattern FOUND = Pattern.compile("^Unexpected character \\('(.)' \\(code \\d+\\)\\)");

    /**
     * Where a JSON text breaks and what was expected there, in plain words: "at column 14: expected ',' or '}' after a
     * value, found '\"'" ({@code withLine}: "at line 3, column 14: ..."; for one line of a JSONL file, leave the line
     * to the caller).
     */
    public static String syntaxError(JsonProcessingException e, boolean withLine) {
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String said = null;
        for (Plain p : PLAIN) {
            Matcher x = p.jackson().matcher(m);
            if (x.find()) {
                String found = x.groupCount() == 0 ? "" : x.group(1);
                if (m.contains("CTRL-CHAR")) found = String.format("U+%04X", Integer.parseInt(found));
                said = p.said().replace("$1", found);
                break;
            }
        }
        if (said == null) said = m.replaceAll("\\s*\\(.*", "").replaceAll("`[^`]*`", "").strip();
        Matcher found = FOUND.matcher(m);
        if (found.find()) said += ", found '" + found.group(1) + "'";
        JsonLocation at = e.getLocation();
        String where = at == null || at.getColumnNr() < 1 ? "" : withLine && at.getLineNr() > 0
                ? "at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " : "at column " + at.getColumnNr() + ": ";
        return where + said;
    }
}
