package absorb.cli;

import absorb.AbsorbException;
import absorb.api.ApiClient;
import absorb.api.RemoteChatModel;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a command reaches a model behind an OpenAI-compatible server: the API key's environment variable (the key itself
 * never appears on the command line, in a log or in the run folder), requests in flight, timeouts and retries.
 */
final class ApiOptions {
    /** The file, in the run folder, that keeps a server's answers (a repeated or resumed run sends none twice). */
    static String cacheFile(String option) {
        return "api_cache_" + option + ".jsonl";
    }

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Environment variable holding the server's API key (sent as a bearer token).")
    String apiKeyEnv;

    @Option(names = "--concurrency", defaultValue = "16", paramLabel = "N", description = "Requests in flight at most (16).")
    int concurrency;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "S", description = "Seconds a request may take (600).")
    int timeout;

    @Option(names = "--max-retries", defaultValue = "8", paramLabel = "N",
            description = "Retries of a request on 429, 5xx, a dropped connection or a malformed answer (8), with"
                    + " exponential backoff and jitter, honouring Retry-After.")
    int maxRetries;

    @Option(names = "--top-logprobs", defaultValue = "20", paramLabel = "K",
            description = "Alternatives asked for in letter scoring (20, the OpenAI API's limit); a letter outside them"
                    + " scores as impossible.")
    int topLogprobs;

    /** The model {@code name} at {@code url}, its answers cached in {@code runFolder}. */
    RemoteChatModel model(String option, String url, String name, Path runFolder) {
        if (name == null || name.isBlank()) {
            throw new AbsorbException("--" + option + "-url needs --" + option + "-model NAME (the model's name on the server).");
        }
        if (timeout < 1) throw new AbsorbException("--timeout must be at least 1 second, not " + timeout + ".");
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new AbsorbException("--api-key-env " + apiKeyEnv + ": that environment variable is not set.");
            }
        }
        ApiClient.Settings s = new ApiClient.Settings(concurrency, Duration.ofSeconds(timeout), maxRetries,
                Duration.ofMillis(500), Duration.ofSeconds(30));
        return new RemoteChatModel(new ApiClient(url, key, s, runFolder.resolve(cacheFile(option))), name, topLogprobs);
    }

    /** What identifies a remote model in config.json: its URL and name (the key's variable, never the key). */
    static void describe(ObjectNode config, String option, String url, String name, ApiOptions o) {
        config.put(option + "_url", url);
        config.put(option + "_model", name);
        if (o.apiKeyEnv != null) config.put("api_key_env", o.apiKeyEnv);
    }
}
