package absorb.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The request bodies of {@code /v1/completions} and {@code /v1/chat/completions} as the OpenAI API defines them (with
 * vLLM's {@code top_k}), read into records; a field of the wrong type or out of range is refused with a 400 naming it.
 * Fields this server does not implement are refused when they would change the result (penalties, logit bias,
 * tools), and ignored otherwise ({@code user}, {@code logit_bias: {}}).
 */
final class Requests {

    /**
     * How to sample: {@code maxTokens} null when the request leaves it to the server; {@code seed} null for a random
     * one; {@code topK} 0 for no top-k.
     */
    record Sampling(Integer maxTokens, double temperature, double topP, int topK, Long seed, List<String> stop, int n) {}

    /** One prompt: its text, or its token ids (as lm-evaluation-harness sends them). */
    record Prompt(String text, long[] ids) {}

    record Completion(String model, List<Prompt> prompts, Sampling sampling, boolean echo, Integer logprobs,
            boolean stream, boolean includeUsage) {}

    record Chat(String model, List<Map<String, Object>> messages, Sampling sampling, boolean logprobs, int topLogprobs,
            boolean stream, boolean includeUsage) {}

    private Requests() {}

    static Completion completion(JsonNode b, int maxLogprobs, int maxN) {
        String model = model(b);
        JsonNode p = b.get("prompt");
        if (p == null || p.isNull()) throw ApiError.badRequest("`prompt` is required.", "prompt");
        List<Prompt> prompts = new ArrayList<>();
        if (p.isTextual()) {
            prompts.add(new Prompt(p.asText(), null));
        } else if (p.isArray() && p.size() > 0 && p.get(0).isIntegralNumber()) {
            prompts.add(new Prompt(null, ids(p)));
        } else if (p.isArray() && p.size() > 0) {
            for (JsonNode e : p) {
                if (e.isTextual()) prompts.add(new Prompt(e.asText(), null));
                else if (e.isArray()) prompts.add(new Prompt(null, ids(e)));
                else throw ApiError.badRequest("`prompt` must be a string, a list of strings, a list of token ids or a"
                        + " list of such lists.", "prompt");
            }
        } else {
            throw ApiError.badRequest("`prompt` must be a string, a list of strings, a list of token ids or a list of"
                    + " such lists (not empty).", "prompt");
        }
        refuse(b, Set.of("suffix", "frequency_penalty", "presence_penalty", "logit_bias", "best_of"));
        Integer logprobs = optionalInt(b, "logprobs", 0, maxLogprobs);
        return new Completion(model, prompts, sampling(b, "max_tokens", maxN), bool(b, "echo"), logprobs,
                bool(b, "stream"), includeUsage(b));
    }

    static Chat chat(JsonNode b, int maxLogprobs, int maxN) {
        String model = model(b);
        List<Map<String, Object>> messages = messages(b);
        refuse(b, Set.of("frequency_penalty", "presence_penalty", "logit_bias", "tools", "functions", "response_format"));
        boolean logprobs = bool(b, "logprobs");
        Integer top = optionalInt(b, "top_logprobs", 0, maxLogprobs);
        if (top != null && top > 0 && !logprobs) {
            throw ApiError.badRequest("`top_logprobs` needs `logprobs` set to true.", "top_logprobs");
        }
        String budget = b.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        return new Chat(model, messages, sampling(b, budget, maxN), logprobs, top == null ? 0 : top, bool(b, "stream"),
                includeUsage(b));
    }

    /** The request's {@code messages}, each a role and its text. */
    private static List<Map<String, Object>> messages(JsonNode b) {
        JsonNode ms = b.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            throw ApiError.badRequest("`messages` must be a list of at least one message.", "messages");
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        for (JsonNode m : ms) {
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw ApiError.badRequest("Each message needs a `role` (a string) and `content`.", "messages");
            }
            Map<String, Object> msg = new HashMap<>();
            msg.put("role", m.get("role").asText());
            msg.put("content", content(m.get("content")));
            messages.add(msg);
        }
        return messages;
    }

    /**
     * vLLM's /tokenize: a {@code prompt} (special tokens added unless {@code add_special_tokens} is false) or
     * {@code messages} rendered by the chat template (with the generation prompt unless {@code add_generation_prompt}
     * is false; special tokens not added unless asked, the template writing its own); {@code model} optional.
     */
    record Tokenize(String model, String prompt, List<Map<String, Object>> messages, boolean addSpecialTokens,
            boolean addGenerationPrompt) {}

    static Tokenize tokenize(JsonNode b) {
        String model = optionalModel(b);
        boolean chat = b.has("messages");
        if (chat == b.has("prompt")) throw ApiError.badRequest("Give either `prompt` or `messages`.", chat ? "prompt" : null);
        if (bool(b, "return_token_strs")) {
            throw ApiError.badRequest("`return_token_strs` is not supported by this server; /detokenize gives text.",
                    "return_token_strs");
        }
        refuse(b, Set.of("tools", "mm_processor_kwargs"));
        if (chat) {
            return new Tokenize(model, null, messages(b), bool(b, "add_special_tokens", false),
                    bool(b, "add_generation_prompt", true));
        }
        JsonNode p = b.get("prompt");
        if (!p.isTextual()) throw ApiError.badRequest("`prompt` must be a string.", "prompt");
        return new Tokenize(model, p.asText(), null, bool(b, "add_special_tokens", true), false);
    }

    /** vLLM's /detokenize: {@code tokens} (a list of ids) and an optional {@code model}. */
    record Detokenize(String model, long[] tokens) {}

    static Detokenize detokenize(JsonNode b) {
        String model = optionalModel(b);
        JsonNode t = b.get("tokens");
        if (t == null || !t.isArray()) throw ApiError.badRequest("`tokens` must be a list of token ids.", "tokens");
        long[] ids = new long[t.size()];
        for (int i = 0; i < ids.length; i++) {
            if (!t.get(i).isIntegralNumber()) throw ApiError.badRequest("Token ids must be integers.", "tokens");
            ids[i] = t.get(i).asLong();
        }
        return new Detokenize(model, ids);
    }

    /** A message's text: a string, or the text parts of a list of content parts. */
    private static String content(JsonNode c) {
        if (c == null || c.isNull()) return "";
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw ApiError.badRequest("Only text content parts are supported.", "messages");
                }
                s.append(part.get("text").asText());
            }
            return s.toString();
        }
        throw ApiError.badRequest("A message's `content` must be a string or a list of text parts.", "messages");
    }

    private static Sampling sampling(JsonNode b, String budget, int maxN) {
        Integer maxTokens = optionalInt(b, budget, 0, Integer.MAX_VALUE);
        double temperature = number(b, "temperature", 1.0, 0, 2);
        double topP = number(b, "top_p", 1.0, 0, 1);
        if (topP == 0) throw ApiError.badRequest("`top_p` must be in (0, 1].", "top_p");
        Integer topK = optionalInt(b, "top_k", -1, Integer.MAX_VALUE);
        Integer n = optionalInt(b, "n", 1, maxN);
        Long seed = null;
        JsonNode s = b.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) throw ApiError.badRequest("`seed` must be an integer.", "seed");
            seed = s.asLong();
        }
        List<String> stop = new ArrayList<>();
        JsonNode st = b.get("stop");
        if (st != null && !st.isNull()) {
            if (st.isTextual()) stop.add(st.asText());
            else if (st.isArray()) {
                for (JsonNode e : st) {
                    if (!e.isTextual()) throw ApiError.badRequest("`stop` must be a string or a list of strings.", "stop");
                    stop.add(e.asText());
                }
            } else {
                throw ApiError.badRequest("`stop` must be a string or a list of strings.", "stop");
            }
        }
        stop.removeIf(String::isEmpty);
        return new Sampling(maxTokens, temperature, topP, topK == null || topK < 0 ? 0 : topK, seed, stop,
                n == null ? 1 : n);
    }

    private static String model(JsonNode b) {
        JsonNode m = b.get("model");
        if (m == null || !m.isTextual() || m.asText().isEmpty()) throw ApiError.badRequest("`model` is required.", "model");
        return m.asText();
    }

    /** {@code model} where it may be left out (null then: the served base model). */
    private static String optionalModel(JsonNode b) {
        JsonNode m = b.get("model");
        if (m == null || m.isNull()) return null;
        if (!m.isTextual() || m.asText().isEmpty()) throw ApiError.badRequest("`model` must be a model's name.", "model");
        return m.asText();
    }

    private static long[] ids(JsonNode a) {
        if (a.isEmpty()) throw ApiError.badRequest("A prompt of token ids is empty.", "prompt");
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isIntegralNumber()) throw ApiError.badRequest("Token ids must be integers.", "prompt");
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static void refuse(JsonNode b, Set<String> unsupported) {
        for (String f : unsupported) {
            JsonNode v = b.get(f);
            boolean neutral = v == null || v.isNull() || (v.isNumber() && v.asDouble() == 0) || (v.isContainerNode() && v.isEmpty())
                    || (f.equals("best_of") && v.isIntegralNumber() && v.asInt() <= Math.max(1, b.path("n").asInt(1)));
            if (!neutral) throw ApiError.badRequest("`" + f + "` is not supported by this server.", f);
        }
    }

    private static boolean bool(JsonNode b, String f) {
        return bool(b, f, false);
    }

    private static boolean bool(JsonNode b, String f, boolean fallback) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw ApiError.badRequest("`" + f + "` must be true or false.", f);
        return v.asBoolean();
    }

    private static boolean includeUsage(JsonNode b) {
        JsonNode o = b.get("stream_options");
        return o != null && o.isObject() && o.path("include_usage").asBoolean(false);
    }

    private static Integer optionalInt(JsonNode b, String f, int min, int max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw ApiError.badRequest("`" + f + "` must be an integer from " + min + (max == Integer.MAX_VALUE ? " up"
                    : " to " + max) + ", not " + v + ".", f);
        }
        return v.asInt();
    }

    private static double number(JsonNode b, String f, double fallback, double min, double max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw ApiError.badRequest("`" + f + "` must be a number from " + min + " to " + max + ", not " + v + ".", f);
        }
        return v.asDouble();
    }
}
