package absorb.cli;

import absorb.AbsorbException;
import absorb.model.Forward;
import absorb.model.Checkpoint;
import absorb.model.Compute;
import absorb.model.Generator;
import absorb.model.KvCache;
import absorb.model.ModelConfig;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode speed and peak memory; prints one JSON line.")
final class BenchCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = "--shape", paramLabel = "NAME",
                description = "Random weights of a named shape: small-30m or qwen2.5-0.5b.")
        String shape;

        @Option(names = "--model", paramLabel = "DIR", description = "A Hugging Face model folder.")
        Path model;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply (with --model).")
    Path adapter;

    @Option(names = "--prefill-tokens", defaultValue = "512", paramLabel = "N", description = "Prefill length (512).")
    int prefillTokens;

    @Option(names = "--prompt-tokens", defaultValue = "16", paramLabel = "N", description = "Decode prompt length (16).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", paramLabel = "N", description = "Tokens to decode (64).")
    int newTokens;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N", description = "Timed runs; the median counts (3).")
    int repeats;

    @Option(names = "--train", description = "Also measure training: full fine-tuning (AdamW) and LoRA (rank 16, all"
            + " seven projections) on batches of 4 x 128 tokens.")
    boolean train;

    @Option(names = "--skip-inference", description = "Measure only what --train / --graph-trace ask for.")
    boolean skipInference;

    @Option(names = "--graph-trace", description = "Also time a graph-tracing run (4x4 grid, 16 x 1,200 words, every"
            + " layer) against a bare forward pass over the same tokens.")
    boolean graphTrace;

    @Option(names = "--news", description = "Also time the New News pipeline's loops: batched sampling (16 x 64"
            + " tokens, 128 new), continuation scoring (200-token context, 4 options) and letter scoring (4 option orders"
            + " sharing 150 tokens).")
    boolean news;

    @Option(names = "--serve", description = "Measure absorb serve instead (in this process, on loopback): --clients"
            + " streaming requests of --new-tokens at once against the same requests one at a time; with --duration,"
            + " closed-loop clients for that long against a server that decodes one request at a time. With --shape, the"
            + " bundled graph model's tokenizer writes the prompts.")
    boolean serve;

    @Option(names = "--clients", defaultValue = "16", paramLabel = "N", description = "Concurrent requests for --serve (16).")
    int clients;

    @Option(names = "--no-stream", description = "With --serve: whole answers instead of server-sent events.")
    boolean noStream;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "S",
            description = "Seconds of closed-loop load for --serve (0: one fixed set of --clients requests).")
    double duration;

    @Option(names = "--trace-context", defaultValue = "1200", paramLabel = "N", description = "Words per sequence for --graph-trace.")
    int traceContext;

    @Option(names = "--hooks", description = "Also time a forward pass over a batch with hooks: reading every residual"
            + " point, attn.z or attn.pattern of every block, and zero-ablating a head in each, against the unhooked pass.")
    boolean hooks;

    @Option(names = "--hooks-batch", defaultValue = "4", paramLabel = "B", description = "Sequences for --hooks (4).")
    int hooksBatch;

    @Mixin
    Options options;

    /** The named shapes, as config.json fields. */
    static final Map<String, String> SHAPES = Map.of(
            "small-30m", """
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 32000, "hidden_size": 384,
                 "intermediate_size": 1024, "num_hidden_layers": 6, "num_attention_heads": 6,
                 "num_key_value_heads": 2, "tie_word_embeddings": true, "rope_theta": 10000.0,
                 "rms_norm_eps": 1e-6, "max_position_embeddings": 2048}""",
            "qwen2.5-0.5b", """
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
                 "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
                 "num_key_value_heads": 2, "tie_word_embeddings": true, "rope_theta": 1000000.0,
                 "rms_norm_eps": 1e-6, "max_position_embeddings": 32768}""");

    static ModelConfig shape(String name) {
        String json = SHAPES.get(name);
        if (json == null) {
            throw new AbsorbException("--shape " + name + " is not a known shape; use one of "
                    + String.join(", ", SHAPES.keySet().stream().sorted().toList()) + ".");
        }
        try {
            return ModelConfig.parse(new ObjectMapper().readTree(json), "shape " + name);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Integer call() {
        if (prefillTokens < 1 || promptTokens < 1 || newTokens < 1 || repeats < 1) {
            throw new AbsorbException("--prefill-tokens, --prompt-tokens, --new-tokens and --repeats must be at least 1.");
        }
        Compute compute = options.compute();
        if (serve) return serve(compute);
        String name = target.shape != null ? target.shape : target.model.toString();
        ModelConfig config = target.shape != null ? shape(target.shape) : null;
        if (adapter != null && target.model == null) throw new AbsorbException("--adapter needs --model.");
        try (Transformer model = config != null ? Transformer.random(config, compute, 0)
                : Checkpoint.load(target.model, compute)) {
            if (adapter != null) absorb.model.LoraAdapter.load(adapter, model);
            SplittableRandom random = new SplittableRandom(1);
            int vocab = model.config().vocabSize();
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("shape", name);
            out.put("dtype", Compute.dtypeName(compute.dtype()));
            out.put("threads", Compute.threads());
            out.put("params", model.config().parameterCount());
            if (!skipInference) {
                long[] prefill = random.longs(prefillTokens, 0, vocab).toArray();
                long[] prompt = random.longs(promptTokens, 0, vocab).toArray();
                double prefillSeconds = median(() -> prefill(model, prefill, Transformer.Logits.LAST));
                double fullSeconds = median(() -> prefill(model, prefill, Transformer.Logits.ALL));
                Generator generator = new Generator(model, null);
                Generator.Settings greedy = Generator.Settings.greedy(newTokens, List.of());
                double decodeSeconds = median(() -> {
                    long t0 = System.nanoTime();
                    generator.generate(prompt, greedy, null);
                    return (System.nanoTime() - t0) / 1e9;
                });
                out.put("prefill_tok_s", round(prefillTokens / prefillSeconds));
                out.put("forward_all_logits_tok_s", round(prefillTokens / fullSeconds));
                out.put("decode_tok_s", round(newTokens / decodeSeconds));
                out.put("peak_rss_mb", round(peakRssMb()));
            }
            if (train) TrainBench.run(model, random, repeats, out);
            if (graphTrace) TraceBench.run(model, traceContext, out);
            if (news) NewsBench.run(model, random, repeats, out);
            if (hooks) HookBench.run(model, hooksBatch, prefillTokens, Math.max(repeats, 5), random, out);
            System.out.println(out);
        }
        return 0;
    }

    /** absorb serve under load: batched (continuous batching) against one request at a time. */
    private int serve(Compute compute) {
        if (clients < 1 || duration < 0) throw new AbsorbException("--clients must be at least 1 and --duration at least 0.");
        absorb.model.LanguageModel lm;
        if (target.model != null) {
            lm = absorb.model.LanguageModel.load(target.model, adapter, compute);
        } else {
            Path words = Home.resolve(Path.of("models/graphs-small"));
            ModelConfig config = shape(target.shape);
            lm = new absorb.model.LanguageModel(words, Transformer.random(config, compute, 0),
                    absorb.model.Tokenizer.load(words), absorb.model.GenerationConfig.read(words, config));
        }
        try (lm) {
            boolean chat = lm.tokenizer().hasChatTemplate();
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("shape", target.shape != null ? target.shape : target.model.toString());
            out.put("threads", Compute.threads());
            out.put("endpoint", chat ? "chat/completions" : "completions");
            out.put("clients", clients);
            out.put("new_tokens", newTokens);
            out.put("stream", !noStream);
            int rows = Math.max(clients, 1);
            absorb.api.ApiServer.Settings batched = absorb.api.ApiServer.Settings.defaults().withPort(0)
                    .withLimits(4 << 20, 1 << 16, 1 << 16, 20).withBatch(rows, 8192);
            if (duration > 0) {
                for (int maxRows : new int[] {rows, 1}) {
                    absorb.api.ApiServer server = absorb.api.ApiServer.start(lm, "bench", Map.of(), batched.withBatch(maxRows, 8192));
                    try {
                        ServeLoad load = new ServeLoad(server.baseUrl(), "bench", chat, newTokens, !noStream);
                        load.fixed(Math.min(4, clients), Math.min(4, clients)); // warm-up
                        ServeLoad.Result r = load.closedLoop(clients, duration);
                        String label = maxRows > 1 ? "batched" : "one_at_a_time";
                        out.set(label, r.json());
                        System.err.println(ServeLoad.describe(label, r));
                    } finally {
                        server.close();
                    }
                }
                out.put("throughput_ratio", round(out.get("batched").get("tok_s").asDouble()
                        / out.get("one_at_a_time").get("tok_s").asDouble()));
            } else {
                absorb.api.ApiServer server = absorb.api.ApiServer.start(lm, "bench", Map.of(), batched);
                try {
                    ServeLoad load = new ServeLoad(server.baseUrl(), "bench", chat, newTokens, !noStream);
                    load.fixed(clients, clients); // warm-up
                    double[] together = new double[repeats], alone = new double[repeats];
                    ServeLoad.Result t = null, a = null;
                    for (int k = 0; k < repeats; k++) {
                        t = load.fixed(clients, clients);
                        a = load.fixed(clients, 1);
                        together[k] = t.tokensPerSecond();
                        alone[k] = a.tokensPerSecond();
                        System.err.println(ServeLoad.describe("round " + (k + 1) + " concurrent", t));
                        System.err.println(ServeLoad.describe("round " + (k + 1) + " one at a time", a));
                    }
                    Arrays.sort(together);
                    Arrays.sort(alone);
                    out.set("concurrent", t.json());
                    out.set("one_at_a_time", a.json());
                    out.put("concurrent_tok_s_median", round(together[repeats / 2]));
                    out.put("one_at_a_time_tok_s_median", round(alone[repeats / 2]));
                    out.put("throughput_ratio", round(together[repeats / 2] / alone[repeats / 2]));
                    out.put("peak_rows", server.stats().get("peak_rows"));
                } finally {
                    server.close();
                }
            }
            System.out.println(out);
        }
        return 0;
    }

    /**
     * One timed prefill: the whole sequence through the model into a fresh KV cache, with next-token logits
     * (LAST) or logits at every position (ALL, what a plain forward call of transformers computes).
     */
    private static double prefill(Transformer model, long[] ids, Transformer.Logits logits) {
        try (NDManager scope = model.compute().newManager(); KvCache cache = new KvCache(scope, model.layers(), 1)) {
            long t0 = System.nanoTime();
            NDArray out = model.forward(scope, Forward.of(new long[][] {ids}).withCache(cache).withLogits(logits)).logits();
            // libtorch computes eagerly: the logits are ready here. Next-token logits are read, as a generation step
            // would; all positions' logits stay a tensor, as they do in the reference.
            if (logits == Transformer.Logits.LAST) out.toFloatArray();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** One warm-up run, then the median of {@code repeats} timed runs. */
    private double median(java.util.function.DoubleSupplier run) {
        run.getAsDouble();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) t[i] = run.getAsDouble();
        Arrays.sort(t);
        return t[repeats / 2];
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Starts a new peak-memory measurement (Linux: clears VmHWM), so phases can be measured apart. */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux: the peak then covers the whole process
        }
    }

    /** The process's peak resident memory (VmHWM), in MB. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: report what the JVM knows
        }
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) / (1024.0 * 1024.0);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
