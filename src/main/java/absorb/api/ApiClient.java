package absorb.api;

import absorb.AbsorbException;
import absorb.io.Hashes;
import absorb.io.JsonLines;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * POSTs JSON requests to an OpenAI-compatible server (the JDK's HTTP client): at most {@code concurrency} in flight;
 * a timeout per request; retries with exponential backoff and jitter on 429, 5xx, a dropped or refused connection, a
 * timeout, and a body that is cut short or not the JSON expected, waiting what a {@code Retry-After} header asks; and
 * a cache of answers (a JSON-lines file in the run folder, keyed by a hash of the endpoint and the request body), so
 * that an interrupted or repeated run never sends a request that was answered before. The API key travels only in
 * the Authorization header: it is in no cache key, log line or message.
 */
public final class ApiClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param concurrency requests in flight at most
     * @param timeout the longest a request may take
     * @param maxRetries retries after the first attempt
     * @param firstBackoff the wait before the first retry (doubled for each next one, with jitter)
     * @param maxBackoff the longest wait between attempts (a Retry-After header may ask for longer, up to 10 min)
     */
    public record Settings(int concurrency, Duration timeout, int maxRetries, Duration firstBackoff, Duration maxBackoff) {
        public Settings {
            if (concurrency < 1) throw new AbsorbException("--concurrency must be at least 1, not " + concurrency + ".");
            if (maxRetries < 0) throw new AbsorbException("--max-retries must be at least 0, not " + maxRetries + ".");
            if (timeout.isNegative() || timeout.isZero()) throw new AbsorbException("--timeout must be positive.");
        }

        public static Settings defaults() {
            return new Settings(16, Duration.ofSeconds(600), 8, Duration.ofMillis(500), Duration.ofSeconds(30));
        }
    }

    /** A request the server refused for good (4xx other than 408 and 429): retrying cannot help. */
    public static final class Refused extends AbsorbException {
        public final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** An answer that is not what the request asks for; retried like a dropped connection. */
    public static final class Malformed extends RuntimeException {
        public Malformed(String message) {
            super(message);
        }
    }

    private final String baseUrl;
    private final String apiKey;
    private final Settings s;
    private final HttpClient http;
    private final ExecutorService pool;
    private final Map<String, JsonNode> cache = new ConcurrentHashMap<>();
    private final JsonLines cacheOut;
    private final AtomicLong sent = new AtomicLong(), answered = new AtomicLong(), hits = new AtomicLong(),
            retries = new AtomicLong();

    /**
     * A client of the server at {@code baseUrl} (its /v1 root), with {@code apiKey} (or null), caching answers in
     * {@code cacheFile} (or nowhere, when null).
     */
    public ApiClient(String baseUrl, String apiKey, Settings s, Path cacheFile) {
        this.baseUrl = normalise(baseUrl);
        this.apiKey = apiKey;
        this.s = s;
        this.pool = Executors.newFixedThreadPool(s.concurrency(), r -> {
            Thread t = new Thread(r, "absorb-api-client");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        if (cacheFile != null) {
            for (JsonNode line : JsonLines.read(cacheFile)) {
                if (line.hasNonNull("key") && line.has("response")) cache.put(line.get("key").asText(), line.get("response"));
            }
            this.cacheOut = JsonLines.append(cacheFile);
        } else {
            this.cacheOut = null;
        }
    }

    /** {@code http://host:port/v1} from that, from the bare server address, or from an endpoint's full URL. */
    static String normalise(String url) {
        String u = url.strip();
        if (!u.startsWith("http://") && !u.startsWith("https://")) {
            throw new AbsorbException("The server URL " + url + " must start with http:// or https://.");
        }
        try {
            URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new AbsorbException("The server URL " + url + " is not a URL.");
        }
        for (String end : List.of("/chat/completions", "/completions", "/")) {
            while (u.endsWith(end)) u = u.substring(0, u.length() - end.length());
        }
        return u.endsWith("/v1") ? u : u + "/v1";
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** HTTP requests sent (retries included), answers taken from the cache, and retries made. */
    public Map<String, Long> stats() {
        return Map.of("sent", sent.get(), "answered", answered.get(), "cache_hits", hits.get(), "retries", retries.get());
    }

    /**
     * POSTs each body to {@code path} (such as /completions), at most {@code concurrency} at a time, and returns
     * {@code parse} of each answer, in order. {@code parse} throws {@link Malformed} for an answer that is not what
     * the request asks for; such an answer is retried.
     */
    public <T> List<T> postAll(String path, List<ObjectNode> bodies, Function<JsonNode, T> parse) {
        List<Future<T>> futures = new ArrayList<>();
        for (ObjectNode b : bodies) futures.add(pool.submit(() -> post(path, b, parse)));
        List<T> out = new ArrayList<>();
        try {
            for (Future<T> f : futures) out.add(f.get());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new AbsorbException("Interrupted while waiting for " + baseUrl + ".");
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    /** One request (see {@link #postAll}); a cached answer when there is one. */
    public <T> T post(String path, ObjectNode body, Function<JsonNode, T> parse) {
        String text = body.toString();
        String key = Hashes.sha256(path + "\n" + text);
        JsonNode cached = cache.get(key);
        if (cached != null) {
            try {
                T t = parse.apply(cached);
                hits.incrementAndGet();
                return t;
            } catch (Malformed e) {
                cache.remove(key); // a damaged entry: ask again
            }
        }
        String last = "no attempt";
        for (int attempt = 0; ; attempt++) {
            Duration wait;
            try {
                sent.incrementAndGet();
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(s.timeout())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8));
                if (apiKey != null) rb.header("Authorization", "Bearer " + apiKey);
                HttpResponse<String> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                int status = r.statusCode();
                if (status == 200) {
                    JsonNode answer;
                    try {
                        answer = JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new Malformed("the answer is not JSON (" + shorten(r.body()) + ")");
                    }
                    T t = parse.apply(answer);
                    answered.incrementAndGet();
                    remember(key, answer);
                    return t;
                }
                last = "HTTP " + status + errorMessage(r.body());
                if (status != 429 && status != 408 && status < 500) {
                    throw new Refused(status, "The server at " + baseUrl + " refused a " + path + " request (" + last + ").");
                }
                wait = retryAfter(r).orElse(backoff(attempt));
            } catch (Malformed e) {
                last = e.getMessage();
                wait = backoff(attempt);
            } catch (IOException e) {
                last = describe(e);
                wait = backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AbsorbException("Interrupted while waiting for " + baseUrl + ".");
            }
            if (attempt >= s.maxRetries()) {
                throw new AbsorbException("The server at " + baseUrl + " did not answer a " + path + " request after "
                        + (attempt + 1) + " attempts (last: " + last + ").");
            }
            retries.incrementAndGet();
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AbsorbException("Interrupted while waiting for " + baseUrl + ".");
            }
        }
    }

    /** What was noted under {@code name} in the cache (such as a server's probed capabilities), or null. */
    public JsonNode noted(String name) {
        return cache.get(Hashes.sha256("note\n" + name));
    }

    /** Notes {@code value} under {@code name} in the cache, for later runs. */
    public void note(String name, JsonNode value) {
        remember(Hashes.sha256("note\n" + name), value);
    }

    private void remember(String key, JsonNode answer) {
        cache.put(key, answer);
        if (cacheOut == null) return;
        ObjectNode line = JSON.createObjectNode();
        line.put("key", key);
        line.set("response", answer);
        synchronized (cacheOut) {
            cacheOut.write(line);
            cacheOut.flush();
        }
    }

    /** The wait before retry {@code attempt + 1}: first * 2^attempt, at most max, times a random factor in [0.5, 1). */
    Duration backoff(int attempt) {
        double d = Math.min(s.maxBackoff().toMillis(), s.firstBackoff().toMillis() * Math.pow(2, Math.min(attempt, 30)));
        return Duration.ofMillis((long) (d * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble())));
    }

    /** A Retry-After header: seconds, or an HTTP date (at most 10 minutes away). */
    static java.util.Optional<Duration> retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").flatMap(ApiClient::parseRetryAfter);
    }

    static java.util.Optional<Duration> parseRetryAfter(String v) {
        Duration d = null;
        try {
            d = Duration.ofMillis((long) (Double.parseDouble(v.strip()) * 1000));
        } catch (NumberFormatException e) {
            try {
                d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v.strip(), DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (RuntimeException ignored) {
                return java.util.Optional.empty();
            }
        }
        if (d.isNegative()) d = Duration.ZERO;
        return java.util.Optional.of(d.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : d);
    }

    private static String errorMessage(String body) {
        try {
            JsonNode e = JSON.readTree(body).path("error");
            String m = e.isTextual() ? e.asText() : e.path("message").asText("");
            return m.isEmpty() ? "" : ": " + m;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        String kind = e.getClass().getSimpleName();
        if (e instanceof java.net.ConnectException) return "connection refused";
        if (e instanceof java.net.http.HttpTimeoutException) return "timed out";
        return kind + (m != null ? ": " + m : "");
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }

    @Override
    public void close() {
        pool.shutdownNow();
        if (cacheOut != null) cacheOut.close();
    }
}
