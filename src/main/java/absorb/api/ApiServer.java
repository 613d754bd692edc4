package absorb.api;

import absorb.AbsorbException;
import absorb.model.LanguageModel;
import absorb.model.StepDecoder;
import absorb.model.Tokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * absorb's OpenAI-compatible HTTP server (Jetty): {@code /v1/models}, {@code /v1/completions} (echo, logprobs, stop,
 * n, seed), {@code /v1/chat/completions} (streaming as server-sent events, logprobs and top_logprobs) and
 * {@code /health}, and vLLM's {@code /tokenize}, {@code /detokenize} and {@code /tokenizer_info}, with the request,
 * response and error bodies of the OpenAI API and vLLM. The base model and each
 * LoRA adapter are served under their own names, as vLLM serves LoRA modules. Requests decode together through the
 * {@link Scheduler} (continuous batching). A malformed or oversized request gets a 4xx and one sentence; it never
 * reaches the model. {@link #close} drains: requests in flight finish, new ones get 503.
 */
public final class ApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param host the address to listen on (loopback by default)
     * @param port the port (0: any free one)
     * @param apiKey the bearer token every /v1 request must carry, or null for none
     * @param maxBodyBytes the largest request body taken
     * @param maxModelLen the most tokens of prompt and completion together (0: the model's context length)
     * @param maxTokens the largest {@code max_tokens} taken
     * @param maxLogprobs the most alternatives per position ({@code logprobs}, {@code top_logprobs})
     * @param maxN the most choices per request
     * @param maxRows the most sequences decoding together
     * @param maxPrefillTokens prompt tokens prefilled together when requests join a batch
     * @param drainSeconds how long {@link #close} waits for requests in flight
     * @param tokenizerEos also end completions at the tokenizer's EOS token (vLLM's rule); by default they end where
     *     absorb's in-process generation and transformers' generate end, at generation_config.json's EOS ids
     */
    public record Settings(String host, int port, String apiKey, int maxBodyBytes, int maxModelLen, int maxTokens,
            int maxLogprobs, int maxN, int maxRows, int maxPrefillTokens, int drainSeconds, boolean tokenizerEos) {
        public static Settings defaults() {
            return new Settings("127.0.0.1", 8000, null, 4 << 20, 0, 4096, 20, 16, 32, 8192, 60, false);
        }

        public Settings withPort(int p) {
            return new Settings(host, p, apiKey, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, maxRows,
                    maxPrefillTokens, drainSeconds, tokenizerEos);
        }

        public Settings withApiKey(String key) {
            return new Settings(host, port, key, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, maxRows,
                    maxPrefillTokens, drainSeconds, tokenizerEos);
        }

        public Settings withLimits(int body, int modelLen, int tokens, int logprobs) {
            return new Settings(host, port, apiKey, body, modelLen, tokens, logprobs, maxN, maxRows, maxPrefillTokens,
                    drainSeconds, tokenizerEos);
        }

        public Settings withBatch(int rows, int prefill) {
            return new Settings(host, port, apiKey, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, rows, prefill,
                    drainSeconds, tokenizerEos);
        }

        public Settings withHost(String h) {
            return new Settings(h, port, apiKey, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, maxRows,
                    maxPrefillTokens, drainSeconds, tokenizerEos);
        }

        public Settings withDrain(int seconds) {
            return new Settings(host, port, apiKey, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, maxRows,
                    maxPrefillTokens, seconds, tokenizerEos);
        }

        public Settings withTokenizerEos(boolean stop) {
            return new Settings(host, port, apiKey, maxBodyBytes, maxModelLen, maxTokens, maxLogprobs, maxN, maxRows,
                    maxPrefillTokens, drainSeconds, stop);
        }
    }

    private final LanguageModel lm;
    private final String name;
    private final Map<String, Path> adapters;
    private final Settings s;
    private final int maxModelLen;
    private final Scheduler scheduler;
    private final Server server;
    private final long created = System.currentTimeMillis() / 1000;
    private final SecureRandom random = new SecureRandom();
    private final AtomicLong requests = new AtomicLong(), refused = new AtomicLong();
    /** The ids that end a completion: generation_config.json's (and, when asked, the tokenizer's EOS token). */
    private final List<Integer> eos;

    private ApiServer(LanguageModel lm, String name, Map<String, Path> adapters, Settings s) {
        this.lm = lm;
        this.name = name;
        this.adapters = new LinkedHashMap<>(adapters);
        this.s = s;
        int context = lm.config().maxPositionEmbeddings();
        // an explicit limit may exceed the checkpoint's context (positions past it are computed all the same)
        this.maxModelLen = s.maxModelLen() > 0 ? s.maxModelLen() : context;
        this.scheduler = new Scheduler(lm, adapters, s.maxRows(), s.maxPrefillTokens());
        this.eos = s.tokenizerEos() ? stopIds(lm) : lm.generation().eosTokenIds();
        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName("absorb-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(s.host());
        connector.setPort(s.port());
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new Routes()));
        server.setStopTimeout(s.drainSeconds() * 1000L);
        server.setStopAtShutdown(false);
    }

    /**
     * Serves {@code lm} (which the caller keeps and closes after this server) as {@code name}, and each adapter
     * folder under its name.
     */
    public static ApiServer start(LanguageModel lm, String name, Map<String, Path> adapters, Settings s) {
        if (adapters.containsKey(name)) throw new AbsorbException("--adapter " + name + " has the served model's own name.");
        ApiServer a = new ApiServer(lm, name, adapters, s);
        try {
            a.server.start();
        } catch (Exception e) {
            a.scheduler.close();
            throw new AbsorbException("Cannot listen on " + s.host() + ":" + s.port() + ": " + rootMessage(e) + ".");
        }
        return a;
    }

    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    public String baseUrl() {
        String host = s.host().contains(":") ? "[" + s.host() + "]" : s.host();
        return "http://" + host + ":" + port() + "/v1";
    }

    /** generation_config.json's EOS ids and the tokenizer's EOS token (vLLM stops at both). */
    public static List<Integer> stopIds(LanguageModel lm) {
        List<Integer> ids = new ArrayList<>(lm.generation().eosTokenIds());
        Integer t = lm.tokenizer().eosId();
        if (t != null && !ids.contains(t)) ids.add(t);
        return List.copyOf(ids);
    }

    /** Requests served and refused, and the scheduler's counts (steps, tokens, admitted, peak_rows). */
    public Map<String, Long> stats() {
        Map<String, Long> out = new LinkedHashMap<>(scheduler.stats());
        out.put("requests", requests.get());
        out.put("refused", refused.get());
        return out;
    }

    /** Stops listening, lets the requests in flight finish (up to the drain time), then stops decoding. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // a request still in flight after the drain time is cut off
        }
        scheduler.close();
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** The routes. */
    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            try {
                switch (path) {
                    case "/health" -> {
                        expect(method, "GET");
                        response.setStatus(200);
                        callback.succeeded();
                    }
                    case "/v1/models" -> {
                        expect(method, "GET");
                        authorize(request);
                        send(response, callback, 200, models());
                    }
                    case "/v1/completions" -> {
                        expect(method, "POST");
                        authorize(request);
                        JsonNode body = body(request);
                        requests.incrementAndGet();
                        completions(Requests.completion(body, s.maxLogprobs(), s.maxN()), response, callback);
                    }
                    case "/v1/chat/completions" -> {
                        expect(method, "POST");
                        authorize(request);
                        JsonNode body = body(request);
                        requests.incrementAndGet();
                        chat(Requests.chat(body, s.maxLogprobs(), s.maxN()), response, callback);
                    }
                    case "/tokenize" -> {
                        expect(method, "POST");
                        authorize(request);
                        send(response, callback, 200, tokenize(Requests.tokenize(body(request))));
                    }
                    case "/detokenize" -> {
                        expect(method, "POST");
                        authorize(request);
                        send(response, callback, 200, detokenize(Requests.detokenize(body(request))));
                    }
                    case "/tokenizer_info" -> {
                        expect(method, "GET");
                        authorize(request);
                        send(response, callback, 200, tokenizerInfo());
                    }
                    default -> throw ApiError.notFound("No route " + path + ".", null, null);
                }
            } catch (ApiError e) {
                refused.incrementAndGet();
                refuse(request, response, callback, e);
            } catch (AbsorbException e) {
                refused.incrementAndGet();
                refuse(request, response, callback, ApiError.badRequest(e.getMessage(), null));
            } catch (RuntimeException e) {
                refuse(request, response, callback, new ApiError(500, "server_error", "Internal error: " + e, null, null));
            }
            return true;
        }
    }

    private static void expect(String method, String wanted) {
        if (!method.equals(wanted)) throw new ApiError(405, "invalid_request_error", "Use " + wanted + " here.", null, null);
    }

    private void authorize(Request request) {
        if (s.apiKey() == null) return;
        String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String want = "Bearer " + s.apiKey();
        if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), want.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", "A valid API key is needed (Authorization: Bearer ...).",
                    null, "invalid_api_key");
        }
    }

    /** The request body as JSON, refused when larger than the limit or not a JSON object. */
    private JsonNode body(Request request) {
        long length = request.getLength();
        if (length > s.maxBodyBytes()) throw tooLarge(length); // its body is read and dropped by refuse
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(s.maxBodyBytes() + 1);
            if (bytes.length > s.maxBodyBytes()) {
                drain(in); // before this stream closes, which would fail the rest of the request
                throw tooLarge(-1);
            }
        } catch (IOException e) {
            throw ApiError.badRequest("The request body could not be read: " + e.getMessage() + ".", null);
        }
        JsonNode b;
        try {
            b = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiError.badRequest("The request body is not valid JSON: " + e.getOriginalMessage() + ".", null);
        } catch (IOException e) {
            throw ApiError.badRequest("The request body could not be read: " + e.getMessage() + ".", null);
        }
        if (b == null || !b.isObject()) throw ApiError.badRequest("The request body must be a JSON object.", null);
        return b;
    }

    /**
     * Answers with {@code e} once what is left of the request's body has been read and dropped: a refusal sent while
     * the client is still sending (an oversized body, or any body before a 401, 404 or 405) would otherwise close the
     * connection under the client, which then reads no answer at all.
     */
    private void refuse(Request request, Response response, Callback callback, ApiError e) {
        drain(Content.Source.asInputStream(request));
        fail(response, callback, e);
    }

    /** The most of a refused body read and thrown away before answering (beyond it the connection is closed). */
    private static final long DRAIN_LIMIT = 64L << 20;

    /** Reads and discards up to {@link #DRAIN_LIMIT} bytes of a refused body; a failure to read only ends it early. */
    private static void drain(InputStream in) {
        try {
            byte[] buffer = new byte[8192];
            long left = DRAIN_LIMIT;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; ) left -= n;
        } catch (IOException e) {
            // the answer is the refusal either way
        }
    }

    private ApiError tooLarge(long length) {
        return new ApiError(413, "invalid_request_error", "The request body" + (length > 0 ? " (" + length + " bytes)" : "")
                + " is larger than this server takes (" + s.maxBodyBytes() + " bytes).", null, null);
    }

    private ObjectNode models() {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        data.add(modelCard(name, null, lm.dir().toString()));
        adapters.forEach((n, dir) -> data.add(modelCard(n, name, dir.toString())));
        return o;
    }

    private ObjectNode modelCard(String id, String parent, String root) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "absorb");
        m.put("root", root);
        if (parent != null) m.put("parent", parent);
        else m.putNull("parent");
        m.put("max_model_len", maxModelLen);
        return m;
    }

    /** vLLM's /tokenize answer: the ids, their count and the longest prompt and completion taken. */
    private ObjectNode tokenize(Requests.Tokenize r) {
        if (r.model() != null) adapterFor(r.model()); // an adapter shares its base model's tokenizer
        Tokenizer tok = lm.tokenizer();
        long[] ids;
        if (r.messages() != null) {
            String text = chatText(r.messages(), r.addGenerationPrompt(),
                    "The model has no chat template; tokenize a `prompt` instead.");
            ids = r.addSpecialTokens() ? tok.encode(text) : tok.encodePlain(text);
        } else {
            ids = r.addSpecialTokens() ? tok.encode(r.prompt()) : tok.encodePlain(r.prompt());
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("count", ids.length);
        o.put("max_model_len", maxModelLen);
        ArrayNode a = o.putArray("tokens");
        for (long id : ids) a.add(id);
        o.putNull("token_strs");
        return o;
    }

    /**
     * The conversation as the chat template renders it (what {@code Tokenizer.encodeChat} tokenizes); a 400 saying
     * {@code noTemplate} for a model without a template, or naming what the template refused.
     */
    private String chatText(List<Map<String, Object>> messages, boolean addGenerationPrompt, String noTemplate) {
        if (!lm.tokenizer().hasChatTemplate()) throw ApiError.badRequest(noTemplate, "messages");
        try {
            return lm.tokenizer().renderChat(messages, addGenerationPrompt).text();
        } catch (AbsorbException | IllegalArgumentException e) {
            throw ApiError.badRequest("The chat template refused the messages: " + e.getMessage(), "messages");
        }
    }

    /** A 400 naming {@code param} for the first id outside the vocabulary. */
    private void checkIds(long[] ids, String param) {
        for (long id : ids) {
            if (id < 0 || id >= lm.config().vocabSize()) {
                throw ApiError.badRequest("Token id " + id + " is outside the vocabulary (0 to "
                        + (lm.config().vocabSize() - 1) + ").", param);
            }
        }
    }

    /** vLLM's /detokenize answer: the text of the ids, special tokens kept. */
    private ObjectNode detokenize(Requests.Detokenize r) {
        if (r.model() != null) adapterFor(r.model());
        checkIds(r.tokens(), "tokens");
        ObjectNode o = JSON.createObjectNode();
        o.put("prompt", lm.tokenizer().decode(r.tokens(), false));
        return o;
    }

    /**
     * vLLM's /tokenizer_info: the special tokens, the chat template and the length limit, what a client needs to
     * tokenize and render prompts as this server does (lm-evaluation-harness's {@code tokenizer_backend=remote}).
     */
    private ObjectNode tokenizerInfo() {
        Tokenizer tok = lm.tokenizer();
        ObjectNode o = JSON.createObjectNode();
        o.put("tokenizer_class", "PreTrainedTokenizerFast");
        for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            String t = tok.specialToken(key);
            if (t != null) o.put(key, t);
            else o.putNull(key);
        }
        o.put("add_bos_token", tok.addsBos());
        o.put("model_max_length", maxModelLen);
        if (tok.hasChatTemplate()) o.put("chat_template", tok.chatTemplate().source());
        else o.putNull("chat_template");
        return o;
    }

    /** The adapter that serves a model name (null: the base model); 404 for a name not served. */
    private String adapterFor(String model) {
        if (model.equals(name)) return null;
        if (adapters.containsKey(model)) return model;
        throw ApiError.notFound("The model `" + model + "` does not exist; this server serves " + String.join(", ",
                servedNames()) + ".", "model", "model_not_found");
    }

    private List<String> servedNames() {
        List<String> n = new ArrayList<>(List.of(name));
        n.addAll(adapters.keySet());
        return n;
    }

    /** One prompt's token ids and, for echo, its text and each token's text and offset (in code points). */
    private record PromptTokens(long[] ids, String text, List<String> tokens, List<Integer> offsets) {}

    private PromptTokens promptTokens(Requests.Prompt p, boolean withTexts) {
        Tokenizer tok = lm.tokenizer();
        if (p.ids() != null) {
            checkIds(p.ids(), "prompt");
            if (!withTexts) return new PromptTokens(p.ids(), null, null, null);
            // each token's text: what decoding one more token adds
            List<String> texts = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            String before = "";
            for (int i = 0; i < p.ids().length; i++) {
                String now = tok.decode(java.util.Arrays.copyOf(p.ids(), i + 1), false);
                String t = now.startsWith(before) ? now.substring(before.length()) : tok.decode(new long[] {p.ids()[i]}, false);
                offsets.add(before.codePointCount(0, before.length()));
                texts.add(t);
                before = now;
            }
            return new PromptTokens(p.ids(), before, texts, offsets);
        }
        String text = p.text();
        long[] ids = tok.encode(text);
        if (!withTexts) return new PromptTokens(ids, text, null, null);
        ai.djl.huggingface.tokenizers.Encoding plain = tok.encodeWithOffsets(text);
        long[] plainIds = plain.getIds();
        ai.djl.huggingface.tokenizers.jni.CharSpan[] spans = plain.getCharTokenSpans();
        int front = 0;
        while (front + plainIds.length <= ids.length
                && !java.util.Arrays.equals(ids, front, front + plainIds.length, plainIds, 0, plainIds.length)) front++;
        List<String> texts = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int cps = text.codePointCount(0, text.length());
        for (int i = 0; i < ids.length; i++) {
            int k = i - front;
            if (front + plainIds.length > ids.length || k < 0 || k >= plainIds.length || spans[k] == null) {
                texts.add(tok.decode(new long[] {ids[i]}, false));
                offsets.add(k < 0 ? 0 : cps);
            } else {
                int a = spans[k].getStart(), b = spans[k].getEnd();
                texts.add(text.substring(text.offsetByCodePoints(0, a), text.offsetByCodePoints(0, b)));
                offsets.add(a);
            }
        }
        return new PromptTokens(ids, text, texts, offsets);
    }

    private void checkLength(int promptTokens, int maxTokens, String param) {
        if (promptTokens == 0) throw ApiError.badRequest("The prompt is empty after tokenisation.", param);
        if (maxTokens > s.maxTokens()) {
            throw ApiError.badRequest("`max_tokens` is " + maxTokens + "; this server generates at most " + s.maxTokens()
                    + " tokens per request.", "max_tokens");
        }
        if (promptTokens + maxTokens > maxModelLen) {
            throw ApiError.badRequest("This model's maximum context length is " + maxModelLen + " tokens. However, you"
                    + " requested " + (promptTokens + maxTokens) + " tokens (" + promptTokens + " in the prompt, "
                    + maxTokens + " in the completion). Please reduce the length of the prompt or completion.", param);
        }
    }

    private long seedOf(Requests.Sampling sampling) {
        return sampling.seed() != null ? sampling.seed() : random.nextLong() & Long.MAX_VALUE;
    }

    /** What a choice receives from the scheduler, queued for the request's thread. */
    private record Event(int choice, Object what) {}

    private record Tokens(long id, String delta, StepDecoder.TokenScores scores) {}

    private record Finished(String reason, String text, long[] tokens) {}

    /** One choice of a request: it forwards the scheduler's callbacks to the request's queue. */
    private static final class Choice implements Scheduler.Choice {
        final int index;
        final LinkedBlockingQueue<Event> events;
        volatile boolean gone;

        Choice(int index, LinkedBlockingQueue<Event> events) {
            this.index = index;
            this.events = events;
        }

        @Override
        public void onPrompt(List<StepDecoder.TokenScores> scores) {
            events.add(new Event(index, scores));
        }

        @Override
        public void onToken(long id, String delta, StepDecoder.TokenScores scores) {
            events.add(new Event(index, new Tokens(id, delta, scores)));
        }

        @Override
        public void onFinish(String reason, String text, long[] tokens) {
            events.add(new Event(index, new Finished(reason, text, tokens)));
        }

        @Override
        public boolean cancelled() {
            return gone;
        }

        @Override
        public void fail(RuntimeException e) {
            events.add(new Event(index, e));
        }
    }

    /** What a choice produced, gathered from its events. */
    private static final class Outcome {
        List<StepDecoder.TokenScores> prompt = List.of();
        final List<Long> ids = new ArrayList<>();
        final List<StepDecoder.TokenScores> scores = new ArrayList<>();
        Finished finished;
    }

    private void completions(Requests.Completion r, Response response, Callback callback) {
        String adapter = adapterFor(r.model());
        Requests.Sampling sm = r.sampling();
        int maxTokens = sm.maxTokens() != null ? sm.maxTokens() : 16;
        boolean texts = r.echo() && r.logprobs() != null;
        List<PromptTokens> prompts = new ArrayList<>();
        for (Requests.Prompt p : r.prompts()) {
            PromptTokens pt = promptTokens(p, texts);
            checkLength(pt.ids().length, maxTokens, "prompt");
            prompts.add(texts || !r.echo() || pt.text() != null ? pt
                    : new PromptTokens(pt.ids(), lm.tokenizer().decode(pt.ids(), false), null, null));
        }
        long seed = seedOf(sm);
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<Choice> choices = new ArrayList<>();
        List<Scheduler.Job> jobs = new ArrayList<>();
        int top = r.logprobs() != null ? r.logprobs() : -1;
        for (int i = 0; i < prompts.size(); i++) {
            for (int j = 0; j < sm.n(); j++) {
                Choice c = new Choice(choices.size(), events);
                choices.add(c);
                jobs.add(new Scheduler.Job(adapter, new StepDecoder.Request(prompts.get(i).ids(), maxTokens,
                        sm.temperature(), sm.topK(), sm.topP(), seed + c.index, eos, sm.stop(),
                        top, r.echo() && r.logprobs() != null, r.stream()), c));
            }
        }
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        scheduler.submit(jobs);
        if (r.stream()) {
            streamCompletions(r, id, prompts, choices, events, response, callback);
            return;
        }
        Outcome[] outs = gather(choices.size(), events);
        ObjectNode o = head(id, "text_completion", r.model());
        ArrayNode cs = o.putArray("choices");
        long completionTokens = 0;
        for (int k = 0; k < outs.length; k++) {
            Outcome out = outs[k];
            PromptTokens p = prompts.get(k / sm.n());
            ObjectNode c = cs.addObject();
            c.put("index", k);
            c.put("text", (r.echo() ? p.text() : "") + out.finished.text());
            if (r.logprobs() != null) c.set("logprobs", completionLogprobs(r.echo() ? p : null, out, r.logprobs()));
            else c.putNull("logprobs");
            c.put("finish_reason", out.finished.reason());
            c.putNull("stop_reason");
            completionTokens += out.ids.size();
        }
        o.set("usage", usage(prompts.stream().mapToLong(p -> p.ids().length).sum(), completionTokens));
        send(response, callback, 200, o);
    }

    /** The legacy logprobs object: tokens, token_logprobs, top_logprobs (token text -> log-probability), text_offset. */
    private ObjectNode completionLogprobs(PromptTokens echoed, Outcome out, int k) {
        ObjectNode lp = JSON.createObjectNode();
        ArrayNode tokens = lp.putArray("tokens"), tokenLps = lp.putArray("token_logprobs"),
                tops = lp.putArray("top_logprobs"), offsets = lp.putArray("text_offset");
        int offset = 0;
        if (echoed != null) {
            for (int i = 0; i < echoed.ids().length; i++) {
                tokens.add(echoed.tokens().get(i));
                offsets.add(echoed.offsets().get(i));
                if (i == 0) {
                    tokenLps.addNull();
                    tops.addNull();
                } else {
                    StepDecoder.TokenScores sc = out.prompt.get(i - 1);
                    tokenLps.add(sc.logprob());
                    tops.add(topMap(sc, echoed.ids()[i], echoed.tokens().get(i), k));
                }
            }
            offset = echoed.text().codePointCount(0, echoed.text().length());
        }
        for (int i = 0; i < out.ids.size(); i++) {
            String t = tokenText(out.ids.get(i));
            tokens.add(t);
            offsets.add(offset);
            offset += t.codePointCount(0, t.length());
            StepDecoder.TokenScores sc = out.scores.get(i);
            tokenLps.add(sc.logprob());
            tops.add(topMap(sc, out.ids.get(i), t, k));
        }
        return lp;
    }

    /** The top alternatives as text -> log-probability, with the token itself (as vLLM gives it). */
    private ObjectNode topMap(StepDecoder.TokenScores sc, long id, String text, int k) {
        ObjectNode m = JSON.createObjectNode();
        for (int j = 0; j < Math.min(k, sc.topIds().length); j++) {
            String t = tokenText(sc.topIds()[j]);
            if (!m.has(t)) m.put(t, sc.topLogprobs()[j]);
        }
        if (!m.has(text)) m.put(text, sc.logprob());
        return m;
    }

    private String tokenText(long id) {
        return lm.tokenizer().decode(new long[] {id}, false);
    }

    private void chat(Requests.Chat r, Response response, Callback callback) {
        String adapter = adapterFor(r.model());
        long[] ids = lm.tokenizer().encodePlain(chatText(r.messages(), true,
                "The model `" + r.model() + "` has no chat template; use /v1/completions."));
        Requests.Sampling sm = r.sampling();
        int maxTokens = sm.maxTokens() != null ? sm.maxTokens() : Math.max(1, Math.min(s.maxTokens(), maxModelLen - ids.length));
        checkLength(ids.length, maxTokens, "messages");
        long seed = seedOf(sm);
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<Choice> choices = new ArrayList<>();
        List<Scheduler.Job> jobs = new ArrayList<>();
        for (int j = 0; j < sm.n(); j++) {
            Choice c = new Choice(j, events);
            choices.add(c);
            jobs.add(new Scheduler.Job(adapter, new StepDecoder.Request(ids, maxTokens, sm.temperature(), sm.topK(),
                    sm.topP(), seed + j, eos, sm.stop(), r.logprobs() ? r.topLogprobs() : -1,
                    false, r.stream()), c));
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        scheduler.submit(jobs);
        if (r.stream()) {
            streamChat(r, id, ids.length, choices, events, response, callback);
            return;
        }
        Outcome[] outs = gather(choices.size(), events);
        ObjectNode o = head(id, "chat.completion", r.model());
        ArrayNode cs = o.putArray("choices");
        long completionTokens = 0;
        for (int k = 0; k < outs.length; k++) {
            ObjectNode c = cs.addObject();
            c.put("index", k);
            ObjectNode m = c.putObject("message");
            m.put("role", "assistant");
            m.put("content", outs[k].finished.text());
            if (r.logprobs()) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                for (int i = 0; i < outs[k].ids.size(); i++) {
                    content.add(chatLogprob(outs[k].ids.get(i), outs[k].scores.get(i)));
                }
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", outs[k].finished.reason());
            c.putNull("stop_reason");
            completionTokens += outs[k].ids.size();
        }
        o.set("usage", usage(ids.length, completionTokens));
        send(response, callback, 200, o);
    }

    /** A chat logprobs entry: token, logprob, bytes, and its top_logprobs. */
    private ObjectNode chatLogprob(long id, StepDecoder.TokenScores sc) {
        ObjectNode e = tokenEntry(tokenText(id), sc.logprob());
        ArrayNode top = e.putArray("top_logprobs");
        for (int j = 0; j < sc.topIds().length; j++) top.add(tokenEntry(tokenText(sc.topIds()[j]), sc.topLogprobs()[j]));
        return e;
    }

    private static ObjectNode tokenEntry(String text, double logprob) {
        ObjectNode e = JSON.createObjectNode();
        e.put("token", text);
        e.put("logprob", logprob);
        ArrayNode b = e.putArray("bytes");
        for (byte x : text.getBytes(StandardCharsets.UTF_8)) b.add(x & 0xff);
        return e;
    }

    /** Waits until every choice has finished, and returns what each produced; a model failure becomes a 500. */
    private static Outcome[] gather(int n, LinkedBlockingQueue<Event> events) {
        Outcome[] outs = new Outcome[n];
        for (int i = 0; i < n; i++) outs[i] = new Outcome();
        int done = 0;
        while (done < n) {
            Event e = take(events);
            Outcome out = outs[e.choice()];
            if (e.what() instanceof RuntimeException x) {
                throw new ApiError(500, "server_error", "The model failed: " + x.getMessage(), null, null);
            } else if (e.what() instanceof Tokens t) {
                out.ids.add(t.id());
                if (t.scores() != null) out.scores.add(t.scores());
            } else if (e.what() instanceof Finished f) {
                out.finished = f;
                done++;
            } else {
                @SuppressWarnings("unchecked")
                List<StepDecoder.TokenScores> p = (List<StepDecoder.TokenScores>) e.what();
                out.prompt = p;
            }
        }
        return outs;
    }

    private static Event take(LinkedBlockingQueue<Event> events) {
        try {
            return events.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "The server is shutting down.", null, null);
        }
    }

    private void streamCompletions(Requests.Completion r, String id, List<PromptTokens> prompts, List<Choice> choices,
            LinkedBlockingQueue<Event> events, Response response, Callback callback) {
        Sse sse = new Sse(response, choices);
        int n = r.sampling().n();
        Outcome[] outs = new Outcome[choices.size()];
        for (int i = 0; i < outs.length; i++) outs[i] = new Outcome();
        if (r.echo()) {
            for (Choice c : choices) sse.send(completionChunk(id, r.model(), c.index, prompts.get(c.index / n).text(), null, null));
            sse.flush();
        }
        int done = 0;
        long completionTokens = 0;
        while (done < choices.size() && sse.open()) {
            Event e = take(events);
            Outcome out = outs[e.choice()];
            if (e.what() instanceof RuntimeException x) {
                sse.send(new ApiError(500, "server_error", "The model failed: " + x.getMessage(), null, null).body());
                break;
            } else if (e.what() instanceof Tokens t) {
                out.ids.add(t.id());
                completionTokens++;
                ObjectNode lp = null;
                if (r.logprobs() != null && t.scores() != null) {
                    Outcome one = new Outcome();
                    one.ids.add(t.id());
                    one.scores.add(t.scores());
                    lp = completionLogprobs(null, one, r.logprobs());
                }
                if (!t.delta().isEmpty() || lp != null) sse.send(completionChunk(id, r.model(), e.choice(), t.delta(), lp, null));
            } else if (e.what() instanceof Finished f) {
                done++;
                sse.send(completionChunk(id, r.model(), e.choice(), "", null, f.reason()));
            }
            if (events.isEmpty()) sse.flush();
        }
        if (r.includeUsage() && sse.open()) {
            ObjectNode u = head(id, "text_completion", r.model());
            u.putArray("choices");
            u.set("usage", usage(prompts.stream().mapToLong(p -> p.ids().length).sum(), completionTokens));
            sse.send(u);
        }
        sse.end(callback);
    }

    private ObjectNode completionChunk(String id, String model, int index, String text, ObjectNode logprobs, String finish) {
        ObjectNode o = head(id, "text_completion", model);
        ObjectNode c = o.putArray("choices").addObject();
        c.put("index", index);
        c.put("text", text);
        if (logprobs != null) c.set("logprobs", logprobs);
        else c.putNull("logprobs");
        if (finish != null) c.put("finish_reason", finish);
        else c.putNull("finish_reason");
        return o;
    }

    private void streamChat(Requests.Chat r, String id, int promptTokens, List<Choice> choices,
            LinkedBlockingQueue<Event> events, Response response, Callback callback) {
        Sse sse = new Sse(response, choices);
        for (Choice c : choices) {
            ObjectNode delta = JSON.createObjectNode();
            delta.put("role", "assistant");
            delta.put("content", "");
            sse.send(chatChunk(id, r.model(), c.index, delta, null, null));
        }
        sse.flush();
        int done = 0;
        long completionTokens = 0;
        while (done < choices.size() && sse.open()) {
            Event e = take(events);
            if (e.what() instanceof RuntimeException x) {
                sse.send(new ApiError(500, "server_error", "The model failed: " + x.getMessage(), null, null).body());
                break;
            } else if (e.what() instanceof Tokens t) {
                completionTokens++;
                ObjectNode lp = null;
                if (r.logprobs() && t.scores() != null) {
                    lp = JSON.createObjectNode();
                    lp.putArray("content").add(chatLogprob(t.id(), t.scores()));
                }
                if (!t.delta().isEmpty() || lp != null) {
                    ObjectNode delta = JSON.createObjectNode();
                    delta.put("content", t.delta());
                    sse.send(chatChunk(id, r.model(), e.choice(), delta, lp, null));
                }
            } else if (e.what() instanceof Finished f) {
                done++;
                sse.send(chatChunk(id, r.model(), e.choice(), JSON.createObjectNode(), null, f.reason()));
            }
            if (events.isEmpty()) sse.flush();
        }
        if (r.includeUsage() && sse.open()) {
            ObjectNode u = head(id, "chat.completion.chunk", r.model());
            u.putArray("choices");
            u.set("usage", usage(promptTokens, completionTokens));
            sse.send(u);
        }
        sse.end(callback);
    }

    private ObjectNode chatChunk(String id, String model, int index, ObjectNode delta, ObjectNode logprobs, String finish) {
        ObjectNode o = head(id, "chat.completion.chunk", model);
        ObjectNode c = o.putArray("choices").addObject();
        c.put("index", index);
        c.set("delta", delta);
        if (logprobs != null) c.set("logprobs", logprobs);
        else c.putNull("logprobs");
        if (finish != null) c.put("finish_reason", finish);
        else c.putNull("finish_reason");
        return o;
    }

    /**
     * A response sent as server-sent events ({@code data: JSON}, blank line; {@code data: [DONE]} at the end), one
     * event per token; events that are ready together go out in one write. When the client has gone, its choices are
     * cancelled (they leave the batch at the next step).
     */
    private static final class Sse {
        private final Response response;
        private final List<Choice> choices;
        private boolean open = true;

        Sse(Response response, List<Choice> choices) {
            this.response = response;
            this.choices = choices;
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        }

        boolean open() {
            return open;
        }

        private final StringBuilder pending = new StringBuilder();

        void send(ObjectNode event) {
            pending.append("data: ").append(event).append("\n\n");
        }

        void flush() {
            if (pending.length() == 0) return;
            String text = pending.toString();
            pending.setLength(0);
            write(text, false);
        }

        private void write(String text, boolean last) {
            if (!open) return;
            try {
                Content.Sink.write(response, last, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException | RuntimeException e) {
                open = false;
                for (Choice c : choices) c.gone = true;
            }
        }

        void end(Callback callback) {
            boolean wasOpen = open;
            pending.append("data: [DONE]\n\n");
            String text = pending.toString();
            pending.setLength(0);
            write(text, true);
            for (Choice c : choices) c.gone = true;
            if (wasOpen && open) callback.succeeded();
            else callback.failed(new IOException("the client went away"));
        }
    }

    private ObjectNode head(String id, String object, String model) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", System.currentTimeMillis() / 1000);
        o.put("model", model);
        return o;
    }

    private static ObjectNode usage(long prompt, long completion) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    private static void send(Response response, Callback callback, int status, ObjectNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body.toString(), callback);
    }

    private static void fail(Response response, Callback callback, ApiError e) {
        if (response.isCommitted()) {
            callback.failed(e);
            return;
        }
        send(response, callback, e.status, e.body());
    }
}
