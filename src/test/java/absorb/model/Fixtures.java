package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The reference outputs that tools/make_engine_fixtures.py saved from transformers. */
final class Fixtures {
    static final Path ENGINE = Path.of("src/test/resources/fixtures/engine");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {}

    static Path model(String name) {
        return ENGINE.resolve(name);
    }

    static JsonNode reference(String name) {
        try {
            return JSON.readTree(model(name).resolve("reference.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** Asserts |actual - expected| <= tol * (1 + |expected|) elementwise over a row of floats. */
    static void assertClose(JsonNode expected, float[] actual, int offset, double tol, String what) {
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.get(i).asDouble(), a = actual[offset + i];
            if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
                fail(what + "[" + i + "]: expected " + e + " but got " + a + " (diff " + Math.abs(a - e) + ")");
            }
        }
    }

    /** Asserts a [positions][width] reference block against a flat array starting at {@code offset}. */
    static void assertClose2d(JsonNode expected, float[] actual, int offset, double tol, String what) {
        int width = expected.get(0).size();
        assertEquals(true, actual.length >= offset + expected.size() * width, what + ": too few values");
        for (int t = 0; t < expected.size(); t++) {
            assertClose(expected.get(t), actual, offset + t * width, tol, what + "[" + t + "]");
        }
    }
}
