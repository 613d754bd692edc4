package absorb.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.api.ApiServer;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Load on absorb serve over loopback: a few streaming requests in the default suite; 32 streaming clients for 30
 * seconds with -Pslow. No request may fail; the timings are printed (the README's numbers come from
 * `absorb bench --serve`), not asserted.
 */
class ServeLoadTest {
    static final Path QWEN = Path.of("src/test/resources/fixtures/engine/qwen2");

    @Test
    void percentilesAreNearestRank() {
        double[] xs = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10};
        assertEquals(5, ServeLoad.percentile(xs, 50));
        assertEquals(10, ServeLoad.percentile(xs, 95));
        assertEquals(1, ServeLoad.percentile(new double[] {1}, 99));
        assertTrue(Double.isNaN(ServeLoad.percentile(new double[0], 50)));
    }

    @Test
    void streamingRequestsTogetherAllSucceed() {
        try (LanguageModel lm = LanguageModel.load(QWEN, Compute.CPU_FLOAT32)) {
            ApiServer server = ApiServer.start(lm, "m", Map.of(), ApiServer.Settings.defaults().withPort(0));
            try {
                ServeLoad.Result r = new ServeLoad(server.baseUrl(), "m", true, 16).fixed(8, 8);
                assertEquals(8, r.requests());
                assertEquals(0, r.failed(), r.errors().toString());
                assertTrue(r.tokens() > 0 && r.firstToken().length == 8);
            } finally {
                server.close();
            }
        }
    }

    @Test
    @Tag("slow")
    void thirtyTwoStreamingClientsForThirtySecondsWithoutAFailure() {
        try (LanguageModel lm = LanguageModel.load(QWEN, Compute.CPU_FLOAT32)) {
            ApiServer server = ApiServer.start(lm, "m", Map.of(), ApiServer.Settings.defaults().withPort(0));
            try {
                ServeLoad.Result r = new ServeLoad(server.baseUrl(), "m", true, 32).closedLoop(32, 30);
                System.err.println(ServeLoad.describe("32 clients, 30 s", r));
                assertEquals(0, r.failed(), r.errors().isEmpty() ? "" : r.errors().get(0));
                assertTrue(r.requests() >= 32);
                assertTrue(server.stats().get("peak_rows") > 1);
            } finally {
                server.close();
            }
        }
    }
}
