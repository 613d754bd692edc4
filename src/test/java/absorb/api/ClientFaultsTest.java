package absorb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import absorb.model.ChatModel;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.model.LocalChatModel;
import absorb.news.NewsEvaluation;
import absorb.news.NewsItem;
import absorb.news.NewsSets;
import absorb.news.Prompts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a server that misbehaves on purpose (loopback): 429 with Retry-After, 500s, answers slower than
 * the timeout, truncated and malformed JSON, a reset connection; a refusal (400) is not retried; retries end. And
 * absorb serve killed in the middle of an evaluation and started again: the client carries on, and a run that gave
 * up resumes from its cache without asking again what was answered.
 */
class ClientFaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A server that answers each request as the next scripted fault says, or (when none is left) correctly. */
    static final class FaultServer implements AutoCloseable {
        final ConcurrentLinkedDeque<String> faults = new ConcurrentLinkedDeque<>();
        final AtomicInteger requests = new AtomicInteger();
        final Server server = new Server();

        FaultServer() throws Exception {
            ServerConnector c = new ServerConnector(server);
            c.setHost("127.0.0.1");
            c.setPort(0);
            server.addConnector(c);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) throws Exception {
                    requests.incrementAndGet();
                    JsonNode body = JSON.readTree(Content.Source.asString(request));
                    String fault = faults.poll();
                    String ok = answer(body).toString();
                    if (fault == null) fault = "ok";
                    switch (fault) {
                        case "429" -> {
                            response.setStatus(429);
                            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                            Content.Sink.write(response, true, "{\"error\":{\"message\":\"slow down\"}}", callback);
                        }
                        case "500" -> {
                            response.setStatus(500);
                            Content.Sink.write(response, true, "{\"error\":{\"message\":\"boom\"}}", callback);
                        }
                        case "400" -> {
                            response.setStatus(400);
                            Content.Sink.write(response, true, "{\"error\":{\"message\":\"no such thing\","
                                    + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}", callback);
                        }
                        case "slow" -> {
                            Thread.sleep(1500);
                            Content.Sink.write(response, true, ok, callback);
                        }
                        case "malformed" -> Content.Sink.write(response, true, "{\"choices\": [{\"text\": 3", callback);
                        case "wrong" -> Content.Sink.write(response, true, "{\"object\": \"nothing\"}", callback);
                        case "truncated" -> {
                            // a Content-Length the body never reaches, then the connection drops
                            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 4000);
                            Content.Sink.write(response, false, ByteBuffer.wrap(ok.substring(0, ok.length() / 2)
                                    .getBytes(StandardCharsets.UTF_8)));
                            request.getConnectionMetaData().getConnection().getEndPoint().close();
                            callback.failed(new java.io.IOException("cut"));
                        }
                        case "reset" -> {
                            request.getConnectionMetaData().getConnection().getEndPoint().close();
                            callback.failed(new java.io.IOException("reset"));
                        }
                        default -> Content.Sink.write(response, true, ok, callback);
                    }
                    return true;
                }
            });
            server.start();
        }

        /** A correct completion: the text names the request's seed. */
        static ObjectNode answer(JsonNode body) {
            ObjectNode o = JSON.createObjectNode();
            ObjectNode c = o.putArray("choices").addObject();
            c.put("index", 0);
            c.putObject("message").put("role", "assistant").put("content", "seed " + body.path("seed").asLong());
            c.put("finish_reason", "stop");
            o.putObject("usage").put("prompt_tokens", 3).put("completion_tokens", 2).put("total_tokens", 5);
            return o;
        }

        String url() {
            return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/v1";
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }

    private static ApiClient.Settings quick(int retries, Duration timeout) {
        return new ApiClient.Settings(2, timeout, retries, Duration.ofMillis(20), Duration.ofMillis(100));
    }

    private static List<String> texts(RemoteChatModel m, int n) {
        List<ChatModel.Prompt> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) ps.add(ChatModel.Prompt.chat(List.of(ChatModel.Message.user("q" + i))));
        return m.generate(ps, new ChatModel.Sampling(4, 0, 1, 0, 100, List.of())).stream().map(ChatModel.Completion::text)
                .toList();
    }

    private static List<String> expected(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add("seed " + (100 + i));
        return out;
    }

    @Test
    void transientFaultsAreRetriedUntilTheRightAnswerComes() throws Exception {
        try (FaultServer f = new FaultServer();
                RemoteChatModel m = new RemoteChatModel(new ApiClient(f.url(), null, quick(8, Duration.ofMillis(700)), null),
                        "m", 5)) {
            f.faults.addAll(List.of("500", "malformed", "wrong", "truncated", "reset", "slow", "500", "truncated"));
            assertEquals(expected(4), texts(m, 4));
            assertEquals(8, m.client().stats().get("retries"));
            assertEquals(12, f.requests.get());
        }
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        try (FaultServer f = new FaultServer();
                RemoteChatModel m = new RemoteChatModel(new ApiClient(f.url(), null, quick(3, Duration.ofSeconds(5)), null),
                        "m", 5)) {
            f.faults.add("429");
            long t0 = System.nanoTime();
            assertEquals(expected(1), texts(m, 1));
            assertTrue((System.nanoTime() - t0) / 1e6 >= 950, "waited what Retry-After asked");
        }
    }

    @Test
    void aRefusalIsNotRetriedAndRetriesEnd() throws Exception {
        try (FaultServer f = new FaultServer();
                RemoteChatModel m = new RemoteChatModel(new ApiClient(f.url(), null, quick(2, Duration.ofSeconds(5)), null),
                        "m", 5)) {
            f.faults.add("400");
            AbsorbException e = assertThrows(AbsorbException.class, () -> texts(m, 1));
            assertTrue(e.getMessage().contains("refused") && e.getMessage().contains("no such thing"), e.getMessage());
            assertEquals(1, f.requests.get());
            f.faults.addAll(Collections.nCopies(5, "500"));
            e = assertThrows(AbsorbException.class, () -> texts(m, 1));
            assertTrue(e.getMessage().contains("after 3 attempts") && e.getMessage().contains("HTTP 500"), e.getMessage());
        }
        ApiClient nowhere = new ApiClient("http://127.0.0.1:" + freePort() + "/v1", null, quick(1, Duration.ofSeconds(2)), null);
        AbsorbException e = assertThrows(AbsorbException.class, () -> nowhere.post("/completions", JSON.createObjectNode(),
                a -> a));
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        nowhere.close();
        assertEquals(Duration.ofSeconds(2), ApiClient.parseRetryAfter("2").orElseThrow());
        assertTrue(ApiClient.parseRetryAfter("soon").isEmpty());
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static List<NewsEvaluation.Prediction> ask(ChatModel m) {
        List<NewsEvaluation.Prediction> out = Collections.synchronizedList(new ArrayList<>());
        NewsItem item = NewsSets.load(Path.of("data/newnews/news.jsonl")).get(3);
        NewsEvaluation.ask(m, List.of(item), NewsEvaluation.Condition.ICL, Prompts.load(Path.of("data/newnews/prompts")),
                new NewsEvaluation.Settings(NewsEvaluation.Scoring.LETTER, 4, 1000, 0, 8), Set.of(), out::add, x -> { });
        return out;
    }

    @Test
    void aServerKilledMidRunAndStartedAgainLosesNoFinishedWork(@TempDir Path dir) throws Exception {
        Path qwen = Path.of("src/test/resources/fixtures/engine/qwen2");
        int port = freePort();
        ApiServer.Settings settings = ApiServer.Settings.defaults().withPort(port).withLimits(4 << 20, 4096, 4096, 1000);
        // killed: no drain, requests in flight are cut
        settings = settings.withDrain(0);
        try (LanguageModel lm = LanguageModel.load(qwen, Compute.CPU_FLOAT32)) {
            List<NewsEvaluation.Prediction> reference;
            try (LocalChatModel local = new LocalChatModel(lm, 8)) {
                reference = ask(local);
            }
            Path cache = dir.resolve("cache.jsonl");
            ApiClient.Settings patient = new ApiClient.Settings(2, Duration.ofSeconds(30), 30, Duration.ofMillis(50),
                    Duration.ofMillis(300));
            // 1. the server dies after a few answers and comes back: the client waits for it and finishes
            ApiServer first = ApiServer.start(lm, "qwen2", Map.of(), settings);
            List<NewsEvaluation.Prediction> got = new ArrayList<>();
            Thread run = new Thread(() -> {
                try (RemoteChatModel m = new RemoteChatModel(new ApiClient(first.baseUrl(), null, patient, cache), "qwen2",
                        1000)) {
                    got.addAll(ask(m));
                }
            });
            run.start();
            while (first.stats().get("requests") < 6) Thread.sleep(10);
            first.close();
            Thread.sleep(700);
            ApiServer second = ApiServer.start(lm, "qwen2", Map.of(), settings);
            run.join(120_000);
            assertEquals(reference.size(), got.size());
            for (int i = 0; i < got.size(); i++) assertEquals(reference.get(i).chosen(), got.get(i).chosen(), "question " + i);
            assertTrue(second.stats().get("requests") < reference.size() + 2, second.stats().toString());
            // 2. a run that gives up while the server is down resumes from the cache: nothing answered is asked again
            second.close();
            Path cache2 = dir.resolve("cache2.jsonl");
            ApiClient.Settings impatient = new ApiClient.Settings(2, Duration.ofSeconds(30), 1, Duration.ofMillis(20),
                    Duration.ofMillis(20));
            ApiServer third = ApiServer.start(lm, "qwen2", Map.of(), settings);
            Thread killer = new Thread(() -> {
                try {
                    while (third.stats().get("requests") < 8) Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
                third.close();
            });
            killer.start();
            try (RemoteChatModel m = new RemoteChatModel(new ApiClient(third.baseUrl(), null, impatient, cache2), "qwen2",
                    1000)) {
                assertThrows(AbsorbException.class, () -> ask(m));
            }
            killer.join();
            long answered = absorb.io.JsonLines.read(cache2).size();
            assertTrue(answered >= 4, "answers kept: " + answered);
            ApiServer fourth = ApiServer.start(lm, "qwen2", Map.of(), settings);
            try (RemoteChatModel m = new RemoteChatModel(new ApiClient(fourth.baseUrl(), null, patient, cache2), "qwen2",
                    1000)) {
                List<NewsEvaluation.Prediction> resumed = ask(m);
                for (int i = 0; i < resumed.size(); i++) assertEquals(reference.get(i).chosen(), resumed.get(i).chosen());
                // the cache holds the two probes' answers, the capabilities noted from them, and the questions answered
                long hits = m.client().stats().get("cache_hits");
                assertEquals(answered - 3, hits);
                assertEquals(reference.size() - hits, fourth.stats().get("requests"));
            } finally {
                fourth.close();
            }
        }
    }
}
