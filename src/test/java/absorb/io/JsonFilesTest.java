package absorb.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** A JSON syntax error said in plain words: the column (counted by hand below) and what was expected there. */
class JsonFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static String said(String line) {
        try {
            JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return JsonFiles.syntaxError(e, false);
        }
        throw new AssertionError("valid JSON: " + line);
    }

    @Test
    void eachSyntaxErrorNamesItsColumnAndWhatWasExpected() {
        // {"text": "x" "y"}: the second string starts at column 14, where a comma or '}' belongs
        assertEquals("at column 14: expected ',' or '}' after a value, found '\"'", said("{\"text\": \"x\" \"y\"}"));
        assertEquals("at column 2: expected a field name in double quotes, found 't'", said("{text: 1}"));
        assertEquals("at column 6: expected ':' after the field name, found '1'", said("{\"a\" 1}"));
        assertEquals("at column 10: expected ',' or ']' after a list entry, found '2'", said("{\"a\": [1 2]}"));
        assertEquals("at column 13: the text ends before '}' closes the object", said("{\"text\": \"x\""));
        assertEquals("at column 15: expected the end of the line after the JSON value", said("{\"text\": \"x\"} {}"));
        assertEquals("at column 13: expected a value (a string in double quotes, a number, true, false, null, a list or"
                + " an object), found 'tru'", said("{\"text\": tru}"));
    }

    @Test
    void noParserInternalsReachTheReader() {
        for (String bad : new String[] {"{\"a\": \"abc", "[1, 2", "{\"a\": 'x'}", "{\"a\": \"x\ty\"}", "{\"a\": \"\\q\"}",
            "{\"a\": 01}", "}", "{\"a\": -}"}) {
            String s = said(bad);
            for (String internal : new String[] {"Source", "REDACTED", "StreamReadFeature", "line: ", "CTRL-CHAR", "(code", "`"}) {
                assertFalse(s.contains(internal), bad + " -> " + s);
            }
        }
    }
}
