package absorb.cli;

import absorb.AbsorbException;
import absorb.api.ApiServer;
import absorb.model.LanguageModel;
import absorb.model.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve a model (and its LoRA adapters, each under its own name) over the OpenAI-compatible HTTP API:"
                + " /v1/models, /v1/completions, /v1/chat/completions, /health; requests decode together (continuous"
                + " batching). Ctrl-C lets the requests in flight finish, then stops.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder.")
    Path model;

    @Option(names = "--adapter", paramLabel = "NAME=DIR",
            description = "A PEFT LoRA adapter served as model NAME (repeatable), as vLLM serves LoRA modules.")
    List<String> adapters = List.of();

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The base model's name in requests (default: the model folder's name).")
    String servedName;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8000", paramLabel = "N", description = "Port (8000; 0 for any free one).")
    int port;

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Require 'Authorization: Bearer KEY', KEY read from this environment variable.")
    String apiKeyEnv;

    @Option(names = "--max-model-len", defaultValue = "0", paramLabel = "N",
            description = "Most tokens of prompt and completion together (default: the model's context length).")
    int maxModelLen;

    @Option(names = "--max-tokens", defaultValue = "4096", paramLabel = "N", description = "Largest max_tokens taken (4096).")
    int maxTokens;

    @Option(names = "--max-logprobs", defaultValue = "20", paramLabel = "N",
            description = "Most alternatives per position in logprobs / top_logprobs (20, as vLLM).")
    int maxLogprobs;

    @Option(names = "--max-body-bytes", defaultValue = "4194304", paramLabel = "N", description = "Largest request body (4 MiB).")
    int maxBodyBytes;

    @Option(names = "--max-batch", defaultValue = "32", paramLabel = "N", description = "Most sequences decoding together (32).")
    int maxBatch;

    @Option(names = "--max-prefill-tokens", defaultValue = "8192", paramLabel = "N",
            description = "Prompt tokens prefilled together when requests join the batch (8192).")
    int maxPrefill;

    @Option(names = "--drain-seconds", defaultValue = "60", paramLabel = "S",
            description = "On Ctrl-C, how long requests in flight may take to finish (60).")
    int drainSeconds;

    @Option(names = "--tokenizer-eos", description = "Also end completions at the tokenizer's EOS token, as vLLM does"
            + " (by default they end at generation_config.json's EOS ids, as in-process generation and transformers do).")
    boolean tokenizerEos;

    @Mixin
    Options compute;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) throw new AbsorbException("--port must be 0 to 65535, not " + port + ".");
        for (int[] v : new int[][] {{maxTokens, 1}, {maxLogprobs, 0}, {maxBodyBytes, 1024}, {maxBatch, 1}, {maxPrefill, 1},
            {drainSeconds, 0}, {maxModelLen, 0}}) {
            if (v[0] < v[1]) throw new AbsorbException("A serving limit is below its minimum (" + v[0] + " < " + v[1] + "); see --help.");
        }
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new AbsorbException("--api-key-env " + apiKeyEnv + ": that environment variable is not set.");
            }
        }
        if (!Files.isDirectory(model)) throw new AbsorbException("--model " + model + " is not a folder.");
        Map<String, Path> served = new LinkedHashMap<>();
        for (String a : adapters) {
            int eq = a.indexOf('=');
            if (eq <= 0 || eq == a.length() - 1) {
                throw new AbsorbException("--adapter " + a + " is not NAME=DIR.");
            }
            String name = a.substring(0, eq);
            Path dir = Path.of(a.substring(eq + 1));
            LoraAdapter.readConfig(dir);
            LoraAdapter.checkBase(dir, model);
            if (served.put(name, dir) != null) throw new AbsorbException("--adapter " + name + " is named twice.");
        }
        String name = servedName != null ? servedName : model.toAbsolutePath().normalize().getFileName().toString();
        LanguageModel lm = LanguageModel.load(model, compute.compute());
        ApiServer server;
        try {
            for (Path dir : served.values()) {
                // every adapter is loaded once here, so that a bad one is refused before serving starts
                LoraAdapter.load(dir, lm.transformer());
                LoraAdapter.detach(lm.transformer());
            }
            ApiServer.Settings s = ApiServer.Settings.defaults().withHost(host).withPort(port).withApiKey(key)
                    .withLimits(maxBodyBytes, maxModelLen, maxTokens, maxLogprobs).withBatch(maxBatch, maxPrefill);
            s = s.withDrain(drainSeconds).withTokenizerEos(tokenizerEos);
            server = ApiServer.start(lm, name, served, s);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("absorb serve: stopping; requests in flight finish first (up to " + drainSeconds + " s).");
            server.close();
            lm.close();
            stopped.countDown();
        }, "absorb-serve-stop"));
        System.err.println("absorb serve: " + name + (served.isEmpty() ? "" : " and adapters " + String.join(", ",
                served.keySet())) + " at " + server.baseUrl() + (key != null ? " (API key required)" : "")
                + "; Ctrl-C to stop.");
        System.out.println(server.baseUrl());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
