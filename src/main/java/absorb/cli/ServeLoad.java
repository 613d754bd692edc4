package absorb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Load on an OpenAI-compatible server, for `absorb bench --serve`: streaming requests (chat completions when the model
 * has a chat template, completions otherwise) whose prompts are random sequences of the graph study's words, each
 * timed from sending to its first text (time to first token) and to its end. Either a fixed list of requests at a
 * given concurrency, or closed-loop clients (each sends its next request when the last one ends) for a duration.
 */
final class ServeLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> WORDS = List.of("apple", "bird", "car", "egg", "house", "milk", "plane", "opera", "box",
            "sand", "sun", "mango", "rock", "math", "code", "phone", "tree", "dog", "metal", "water", "fire", "boat",
            "mouse", "cup", "book", "paper", "key", "tea", "shoe", "ball");

    /** What a load produced: requests done and failed, tokens generated, wall time, and per-request timings (s). */
    record Result(int requests, int failed, long tokens, double seconds, double[] latency, double[] firstToken,
            List<String> errors) {
        double tokensPerSecond() {
            return tokens / seconds;
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("requests", requests);
            o.put("failed", failed);
            o.put("tokens", tokens);
            o.put("seconds", round(seconds));
            o.put("tok_s", round(tokensPerSecond()));
            o.put("req_s", round(requests / seconds));
            for (double q : new double[] {50, 95, 99}) {
                o.put("latency_p" + (int) q + "_s", round(percentile(latency, q)));
                o.put("ttft_p" + (int) q + "_s", round(percentile(firstToken, q)));
            }
            if (!errors.isEmpty()) o.put("first_error", errors.get(0));
            return o;
        }
    }

    private record One(boolean ok, long tokens, double latency, double firstToken, String error) {}

    private final String baseUrl;
    private final String model;
    private final boolean chat;
    private final int maxTokens;
    private final boolean stream;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    ServeLoad(String baseUrl, String model, boolean chat, int maxTokens) {
        this(baseUrl, model, chat, maxTokens, true);
    }

    /** With {@code stream} false, whole answers (the time to the first token is then the latency). */
    ServeLoad(String baseUrl, String model, boolean chat, int maxTokens, boolean stream) {
        this.baseUrl = baseUrl;
        this.model = model;
        this.chat = chat;
        this.maxTokens = maxTokens;
        this.stream = stream;
    }

    /** Request {@code i}: a prompt of 24 words drawn with seed i, greedy, {@code maxTokens} new tokens at most. */
    private String body(int i) {
        SplittableRandom r = new SplittableRandom(i);
        StringBuilder p = new StringBuilder();
        for (int k = 0; k < 24; k++) p.append(k == 0 ? "" : " ").append(WORDS.get(r.nextInt(WORDS.size())));
        ObjectNode b = JSON.createObjectNode();
        b.put("model", model);
        if (chat) b.putArray("messages").addObject().put("role", "user").put("content", p.toString());
        else b.put("prompt", p.toString());
        b.put("max_tokens", maxTokens);
        b.put("temperature", 0);
        b.put("stream", stream);
        if (stream) b.putObject("stream_options").put("include_usage", true);
        return b.toString();
    }

    private One send(int i) {
        long t0 = System.nanoTime();
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + (chat ? "/chat/completions" : "/completions")))
                    .timeout(Duration.ofSeconds(600)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body(i))).build();
            HttpResponse<Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                String text = String.join("\n", r.body().toList());
                return new One(false, 0, 0, 0, "HTTP " + r.statusCode() + " " + text);
            }
            double first = -1;
            long tokens = -1;
            boolean done = false;
            if (!stream) {
                JsonNode j = JSON.readTree(String.join("\n", r.body().toList()));
                double latency = (System.nanoTime() - t0) / 1e9;
                return new One(true, j.path("usage").path("completion_tokens").asLong(), latency, latency, null);
            }
            for (String line : (Iterable<String>) r.body()::iterator) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                    continue;
                }
                JsonNode j = JSON.readTree(data);
                if (j.has("error")) return new One(false, 0, 0, 0, j.get("error").toString());
                if (j.hasNonNull("usage")) tokens = j.get("usage").path("completion_tokens").asLong();
                for (JsonNode c : j.path("choices")) {
                    String text = chat ? c.path("delta").path("content").asText("") : c.path("text").asText("");
                    if (first < 0 && (!text.isEmpty() || !c.path("finish_reason").isNull())) {
                        first = (System.nanoTime() - t0) / 1e9;
                    }
                }
            }
            double latency = (System.nanoTime() - t0) / 1e9;
            if (!done || tokens < 0) return new One(false, 0, 0, 0, "the stream ended early");
            return new One(true, tokens, latency, first < 0 ? latency : first, null);
        } catch (Exception e) {
            return new One(false, 0, 0, 0, e.toString());
        }
    }

    /** Requests 0 .. n-1, at most {@code concurrency} in flight. */
    Result fixed(int n, int concurrency) {
        AtomicInteger next = new AtomicInteger();
        List<One> ones = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        run(concurrency, () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) ones.add(send(i));
        });
        return result(ones, (System.nanoTime() - t0) / 1e9);
    }

    /** {@code clients} closed-loop clients for {@code seconds}: each sends its next request when its last one ends. */
    Result closedLoop(int clients, double seconds) {
        AtomicInteger next = new AtomicInteger();
        List<One> ones = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9);
        run(clients, () -> {
            while (System.nanoTime() < end) ones.add(send(next.getAndIncrement()));
        });
        return result(ones, (System.nanoTime() - t0) / 1e9);
    }

    private static void run(int threads, Runnable work) {
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(work, "absorb-load-" + t);
            th.start();
            ts.add(th);
        }
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Result result(List<One> ones, double seconds) {
        List<One> ok = ones.stream().filter(One::ok).toList();
        List<String> errors = ones.stream().filter(o -> !o.ok()).map(One::error).toList();
        return new Result(ones.size(), errors.size(), ok.stream().mapToLong(One::tokens).sum(), seconds,
                ok.stream().mapToDouble(One::latency).toArray(), ok.stream().mapToDouble(One::firstToken).toArray(), errors);
    }

    /** The q-th percentile (nearest rank) of {@code xs}; NaN for none. */
    static double percentile(double[] xs, double q) {
        if (xs.length == 0) return Double.NaN;
        double[] s = xs.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 1000) / 1000.0;
    }

    static String describe(String label, Result r) {
        return String.format(Locale.ROOT, "%s: %d requests (%d failed), %.1f tok/s, latency p50/p95/p99 %.2f/%.2f/%.2f s,"
                + " first token p50/p95/p99 %.3f/%.3f/%.3f s", label, r.requests(), r.failed(), r.tokensPerSecond(),
                percentile(r.latency(), 50), percentile(r.latency(), 95), percentile(r.latency(), 99),
                percentile(r.firstToken(), 50), percentile(r.firstToken(), 95), percentile(r.firstToken(), 99));
    }
}
