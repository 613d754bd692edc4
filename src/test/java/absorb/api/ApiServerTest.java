package absorb.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.model.Compute;
import absorb.model.Generator;
import absorb.model.LanguageModel;
import absorb.model.LoraAdapter;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * absorb serve's protocol, with the JDK's HTTP client: routes, response and error bodies, limits, the API key,
 * streaming, n and seeds, stop strings, adapters chosen by model name, continuous batching, and a drain on close.
 * Texts are checked against the in-process generator on the same model.
 */
class ApiServerTest {
    static final Path QWEN = Path.of("src/test/resources/fixtures/engine/qwen2");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    @TempDir
    static Path dir;
    static LanguageModel lm;
    static Path adapter;
    static ApiServer server;

    @BeforeAll
    static void start() {
        lm = LanguageModel.load(QWEN, Compute.CPU_FLOAT32);
        adapter = dir.resolve("adapter");
        // an adapter that changes the model: fresh LoRA weights with B drawn at random instead of zero
        LoraAdapter.Config c = LoraAdapter.Config.of(4, 8, 0, List.of("q_proj", "v_proj", "down_proj"));
        Map<String, NDArray> ws = LoraAdapter.attachNew(lm.transformer(), c, 3);
        try (NDManager m = lm.transformer().manager().newSubManager()) {
            ws.forEach((k, w) -> {
                if (k.contains("lora_B")) w.addi(m.randomNormal(0, 0.5f, w.getShape(), w.getDataType()));
            });
        }
        LoraAdapter.save(lm.transformer(), c, adapter);
        LoraAdapter.detach(lm.transformer());
        server = ApiServer.start(lm, "qwen2", Map.of("tuned", adapter), ApiServer.Settings.defaults().withPort(0)
                .withLimits(64 << 10, 256, 64, 5));
    }

    @AfterAll
    static void stop() {
        server.close();
        lm.close();
    }

    record Answer(int status, JsonNode json, String body) {}

    static final Map<ApiServer, HttpClient> CLIENTS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A client per server: a server started after another closed may get its port, and a connection the client kept
     * open to the old one would fail the first request.
     */
    static HttpClient client(ApiServer s) {
        return s == server ? HTTP : CLIENTS.computeIfAbsent(s, k -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).build());
    }

    static Answer post(ApiServer s, String path, String body, String key) {
        return post(s, URI.create(s.baseUrl() + path), body, key);
    }

    static Answer post(ApiServer s, URI uri, String body, String key) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
            if (key != null) b.header("Authorization", "Bearer " + key);
            HttpResponse<String> r = client(s).send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode j = null;
            try {
                j = JSON.readTree(r.body());
            } catch (Exception e) {
                // a stream
            }
            return new Answer(r.statusCode(), j, r.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Answer post(String path, String body) {
        return post(server, path, body, null);
    }

    /** A POST to a route outside /v1 (vLLM's tokenizer routes). */
    static Answer postRoot(String path, String body) {
        return post(server, URI.create(server.baseUrl().replace("/v1", "") + path), body, null);
    }

    static Answer get(ApiServer s, String path) throws Exception {
        HttpResponse<String> r = client(s).send(HttpRequest.newBuilder(URI.create(s.baseUrl().replace("/v1", "") + path)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = r.body().isEmpty() ? null : JSON.readTree(r.body());
        return new Answer(r.statusCode(), j, r.body());
    }

    /** What the in-process generator writes greedily after the chat prompt (or text) alone. */
    static String greedy(LanguageModel m, long[] ids, int tokens) {
        Generator g = new Generator(m.transformer(), m.tokenizer());
        return g.generate(ids, Generator.Settings.greedy(tokens, m.generation().eosTokenIds()), null).text();
    }

    static long[] chatIds(String user) {
        return lm.tokenizer().encodeChat(List.of(Map.of("role", "user", "content", user)), true);
    }

    static void assertError(Answer a, int status, String mentions) {
        assertEquals(status, a.status(), a.body());
        JsonNode e = a.json().get("error");
        assertTrue(e.get("message").asText().contains(mentions), a.body());
        assertTrue(e.has("type") && e.has("code") && e.has("param"), a.body());
    }

    @Test
    void routesModelsAndHealth() throws Exception {
        assertEquals(200, get(server, "/health").status());
        JsonNode models = get(server, "/v1/models").json();
        assertEquals("list", models.get("object").asText());
        assertEquals("qwen2", models.get("data").get(0).get("id").asText());
        assertEquals("tuned", models.get("data").get(1).get("id").asText());
        assertEquals("qwen2", models.get("data").get(1).get("parent").asText());
        assertError(get(server, "/v1/nothing"), 404, "No route");
        assertError(get(server, "/v1/completions"), 405, "POST");
    }

    static long[] ids(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asLong();
        return out;
    }

    /** vLLM's tokenizer routes, against the in-process tokenizer (itself tested against transformers'). */
    @Test
    void tokenizeDetokenizeAndTokenizerInfoAnswerAsVllmDoes() throws Exception {
        absorb.model.Tokenizer tok = lm.tokenizer();
        String text = "The apple fell <|im_end|> far";
        JsonNode t = postRoot("/tokenize", JSON.createObjectNode().put("prompt", text).toString()).json();
        assertArrayEquals(tok.encode(text), ids(t.get("tokens")));
        assertEquals(t.get("tokens").size(), t.get("count").asInt());
        assertEquals(256, t.get("max_model_len").asInt());
        JsonNode plain = postRoot("/tokenize", JSON.createObjectNode().put("prompt", text).put("add_special_tokens", false)
                .put("model", "tuned").toString()).json();
        assertArrayEquals(tok.encodePlain(text), ids(plain.get("tokens")));
        JsonNode chat = postRoot("/tokenize", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi there\"}]}").json();
        assertArrayEquals(chatIds("Hi there"), ids(chat.get("tokens")));
        JsonNode noPrompt = postRoot("/tokenize", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi there\"}],"
                + " \"add_generation_prompt\": false}").json();
        assertArrayEquals(tok.encodeChat(List.of(Map.of("role", "user", "content", "Hi there")), false),
                ids(noPrompt.get("tokens")));
        long[] some = tok.encodePlain(text);
        JsonNode d = postRoot("/detokenize", "{\"tokens\": " + java.util.Arrays.toString(some) + "}").json();
        assertEquals(tok.decode(some, false), d.get("prompt").asText());
        JsonNode info = get(server, "/tokenizer_info").json();
        assertEquals(tok.specialToken("eos_token"), info.get("eos_token").asText());
        assertEquals(tok.chatTemplate().source(), info.get("chat_template").asText());
        assertEquals(256, info.get("model_max_length").asInt());

        assertError(postRoot("/tokenize", "{\"prompt\": \"a\", \"messages\": []}"), 400, "either");
        assertError(postRoot("/tokenize", "{\"prompt\": \"a\", \"model\": \"other\"}"), 404, "does not exist");
        assertError(postRoot("/tokenize", "{\"prompt\": \"a\", \"return_token_strs\": true}"), 400, "return_token_strs");
        assertError(postRoot("/detokenize", "{\"tokens\": [1, -1]}"), 400, "outside the vocabulary");
        assertError(get(server, "/tokenize"), 405, "POST");
    }

    @Test
    void chatAndCompletionsGiveTheInProcessGreedyText() {
        JsonNode chat = post("/chat/completions", "{\"model\":\"qwen2\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi"
                + " there\"}],\"max_tokens\":12,\"temperature\":0}").json();
        assertEquals("chat.completion", chat.get("object").asText());
        JsonNode c0 = chat.get("choices").get(0);
        assertEquals(greedy(lm, chatIds("Hi there"), 12), c0.get("message").get("content").asText());
        assertEquals("assistant", c0.get("message").get("role").asText());
        assertEquals(chatIds("Hi there").length, chat.get("usage").get("prompt_tokens").asInt());
        JsonNode text = post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"The apple fell\",\"max_tokens\":9,"
                + "\"temperature\":0}").json();
        assertEquals(greedy(lm, lm.tokenizer().encode("The apple fell"), 9), text.get("choices").get(0).get("text").asText());
        assertEquals("length", text.get("choices").get(0).get("finish_reason").asText());
        // prompts as token ids, several at once (as lm-evaluation-harness sends them)
        long[] ids = lm.tokenizer().encode("The apple fell");
        JsonNode two = post("/completions", "{\"model\":\"qwen2\",\"prompt\":[" + java.util.Arrays.toString(ids) + ",[5,6,7]],"
                + "\"max_tokens\":4,\"temperature\":0}").json();
        assertEquals(2, two.get("choices").size());
        assertEquals(greedy(lm, ids, 4), two.get("choices").get(0).get("text").asText());
        assertEquals(greedy(lm, new long[] {5, 6, 7}, 4), two.get("choices").get(1).get("text").asText());
    }

    @Test
    void streamingChunksAddUpToTheText() {
        String body = "{\"model\":\"qwen2\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}],\"max_tokens\":10,"
                + "\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        Answer a = post("/chat/completions", body);
        assertEquals(200, a.status());
        StringBuilder text = new StringBuilder();
        List<String> events = a.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", events.get(events.size() - 1));
        String finish = null;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode j;
            try {
                j = JSON.readTree(e);
            } catch (Exception x) {
                throw new IllegalStateException(x);
            }
            assertEquals("chat.completion.chunk", j.get("object").asText());
            if (j.has("usage")) usage = j.get("usage");
            for (JsonNode c : j.get("choices")) {
                text.append(c.get("delta").path("content").asText(""));
                if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
            }
        }
        assertEquals(greedy(lm, chatIds("Tell me"), 10), text.toString());
        assertEquals("length", finish);
        assertEquals(10, usage.get("completion_tokens").asInt());
    }

    @Test
    void choicesSampleWithConsecutiveSeedsAndStopStringsCut() {
        JsonNode three = post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"Once\",\"max_tokens\":8,\"n\":3,"
                + "\"seed\":7,\"temperature\":1}").json();
        for (int i = 0; i < 3; i++) {
            JsonNode one = post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"Once\",\"max_tokens\":8,\"seed\":"
                    + (7 + i) + ",\"temperature\":1}").json();
            assertEquals(one.get("choices").get(0).get("text"), three.get("choices").get(i).get("text"));
        }
        String full = post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"The\",\"max_tokens\":12,\"temperature\":0}")
                .json().get("choices").get(0).get("text").asText();
        String stop = full.substring(3, 5);
        JsonNode cut = post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"The\",\"max_tokens\":12,\"temperature\":0,"
                + "\"stop\":[" + JSON.valueToTree(stop) + "]}").json().get("choices").get(0);
        assertEquals(full.substring(0, full.indexOf(stop)), cut.get("text").asText());
        assertEquals("stop", cut.get("finish_reason").asText());
    }

    @Test
    void adaptersAreChosenByModelNameAndBatchesSwitchBetweenThem() throws Exception {
        long[] ids = chatIds("Hello");
        String base = greedy(lm, ids, 10);
        String tuned;
        try (LanguageModel withAdapter = LanguageModel.load(QWEN, adapter, Compute.CPU_FLOAT32)) {
            tuned = greedy(withAdapter, ids, 10);
        }
        assertNotEquals(base, tuned);
        List<CompletableFuture<Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String model = i % 2 == 0 ? "qwen2" : "tuned";
            answers.add(CompletableFuture.supplyAsync(() -> post("/chat/completions", "{\"model\":\"" + model
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":10,\"temperature\":0}")));
        }
        for (int i = 0; i < 8; i++) {
            JsonNode j = answers.get(i).get().json();
            assertEquals(i % 2 == 0 ? base : tuned, j.get("choices").get(0).get("message").get("content").asText(), "request " + i);
        }
    }

    @Test
    void badRequestsGetA4xxAndDoNotDisturbOthers() throws Exception {
        String good = "{\"model\":\"qwen2\",\"messages\":[{\"role\":\"user\",\"content\":\"Long one\"}],\"max_tokens\":40,"
                + "\"temperature\":0,\"stream\":true}";
        CompletableFuture<Answer> running = CompletableFuture.supplyAsync(() -> post("/chat/completions", good));
        assertError(post("/completions", "{not json"), 400, "not valid JSON");
        assertError(post("/completions", "[1,2]"), 400, "JSON object");
        assertError(post("/completions", "{\"prompt\":\"a\"}"), 400, "`model` is required");
        assertError(post("/completions", "{\"model\":\"nope\",\"prompt\":\"a\"}"), 404, "does not exist");
        assertEquals("model_not_found", post("/completions", "{\"model\":\"nope\",\"prompt\":\"a\"}").json().get("error")
                .get("code").asText());
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"" + "a".repeat(70_000) + "\"}"), 413, "larger");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"" + "apple ".repeat(300) + "\"}"), 400,
                "maximum context length is 256");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"a\",\"max_tokens\":65}"), 400, "at most 64");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"a\",\"max_tokens\":-1}"), 400, "max_tokens");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"a\",\"logprobs\":6}"), 400, "logprobs");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"a\",\"temperature\":\"hot\"}"), 400, "temperature");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":[99999]}"), 400, "outside the vocabulary");
        assertError(post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"a\",\"frequency_penalty\":0.5}"), 400,
                "not supported");
        assertError(post("/chat/completions", "{\"model\":\"qwen2\",\"messages\":[]}"), 400, "messages");
        assertError(post("/chat/completions", "{\"model\":\"qwen2\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
                + "\"top_logprobs\":2}"), 400, "needs `logprobs`");
        Answer a = running.get();
        assertEquals(200, a.status());
        assertTrue(a.body().strip().endsWith("data: [DONE]"));
        StringBuilder text = new StringBuilder();
        for (String l : a.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            text.append(JSON.readTree(l.substring(6)).get("choices").get(0).get("delta").path("content").asText(""));
        }
        assertEquals(greedy(lm, chatIds("Long one"), 40), text.toString());
    }

    @Test
    void requestsThatArriveTogetherDecodeTogether() throws Exception {
        long peakBefore = server.stats().get("peak_rows");
        List<CompletableFuture<Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String p = "Prompt number " + i;
            answers.add(CompletableFuture.supplyAsync(() -> post("/completions", "{\"model\":\"qwen2\",\"prompt\":\"" + p
                    + "\",\"max_tokens\":48,\"temperature\":0}")));
        }
        for (int i = 0; i < 8; i++) {
            assertEquals(greedy(lm, lm.tokenizer().encode("Prompt number " + i), 48),
                    answers.get(i).get().json().get("choices").get(0).get("text").asText());
        }
        assertTrue(Math.max(peakBefore, server.stats().get("peak_rows")) > 1, server.stats().toString());
    }

    @Test
    void anApiKeyIsRequiredWhenSetAndCloseDrainsRequestsInFlight() throws Exception {
        ApiServer keyed = ApiServer.start(lm, "qwen2", Map.of(), ApiServer.Settings.defaults().withPort(0).withApiKey("s3cret"));
        boolean closed = false;
        try {
            String body = "{\"model\":\"qwen2\",\"prompt\":\"a\",\"max_tokens\":2}";
            assertError(post(keyed, "/completions", body, null), 401, "API key");
            assertError(post(keyed, "/completions", body, "wrong"), 401, "API key");
            assertEquals(200, post(keyed, "/completions", body, "s3cret").status());
            assertEquals(200, get(keyed, "/health").status());
            CompletableFuture<Answer> inFlight = CompletableFuture.supplyAsync(() -> post(keyed, "/completions",
                    "{\"model\":\"qwen2\",\"prompt\":\"b\",\"max_tokens\":200,\"temperature\":0}", "s3cret"));
            Thread.sleep(100);
            keyed.close();
            closed = true;
            Answer a = inFlight.get();
            assertEquals(200, a.status(), a.body());
            assertEquals(greedy(lm, lm.tokenizer().encode("b"), 200), a.json().get("choices").get(0).get("text").asText());
        } finally {
            if (!closed) keyed.close();
        }
    }

    @Test
    void anAdapterThatNoLongerLoadsFailsItsRequestsNotTheServer() throws Exception {
        Path copy = dir.resolve("fragile");
        java.nio.file.Files.createDirectories(copy);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            java.nio.file.Files.copy(adapter.resolve(f), copy.resolve(f));
        }
        ApiServer s = ApiServer.start(lm, "qwen2", Map.of("fragile", copy), ApiServer.Settings.defaults().withPort(0));
        try {
            java.nio.file.Files.delete(copy.resolve("adapter_model.safetensors"));
            String body = "{\"model\":\"%s\",\"prompt\":\"The\",\"max_tokens\":3,\"temperature\":0}";
            assertError(post(s, "/completions", body.formatted("fragile"), null), 500, "adapter_model.safetensors");
            Answer ok = post(s, "/completions", body.formatted("qwen2"), null);
            assertEquals(200, ok.status(), ok.body());
            assertEquals(greedy(lm, lm.tokenizer().encode("The"), 3), ok.json().get("choices").get(0).get("text").asText());
        } finally {
            s.close();
        }
    }
}
