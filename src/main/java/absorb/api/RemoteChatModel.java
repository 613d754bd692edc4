package absorb.api;

import absorb.AbsorbException;
import absorb.model.ChatModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ChatModel} behind an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp's server, Ollama, absorb
 * serve). Generation through {@code /v1/chat/completions} (a conversation) or {@code /v1/completions} (plain text);
 * letter scoring from the {@code top_logprobs} of a one-token chat completion (a letter outside the top K the server
 * lists scores negative infinity); continuation scoring through {@code /v1/completions} with {@code echo},
 * {@code logprobs} and no new tokens, the server tokenising context + continuation itself: the continuation's tokens
 * are those from the first one that covers a character of the continuation (found from the text offsets the server
 * returns), which is lm-evaluation-harness's split wherever a token does not straddle the boundary. What the server
 * offers (chat, next-token and prompt log-probabilities) is asked once with small requests, cached like the rest.
 */
public final class RemoteChatModel implements ChatModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ApiClient client;
    private final String model;
    private final int topLogprobs;
    private final AtomicLong tokens = new AtomicLong();
    private Capabilities capabilities;

    /** The model served as {@code model} through {@code client}; letter scoring asks for {@code topLogprobs} alternatives. */
    public RemoteChatModel(ApiClient client, String model, int topLogprobs) {
        if (topLogprobs < 1) throw new AbsorbException("--top-logprobs must be at least 1, not " + topLogprobs + ".");
        this.client = client;
        this.model = model;
        this.topLogprobs = topLogprobs;
    }

    @Override
    public String name() {
        return model + " at " + client.baseUrl();
    }

    public ApiClient client() {
        return client;
    }

    @Override
    public synchronized Capabilities capabilities() {
        if (capabilities == null) {
            // probed once per run folder: refusals are not cached as answers, so the result is noted itself
            JsonNode noted = client.noted("capabilities " + model);
            if (noted != null) {
                capabilities = new Capabilities(noted.path("chat_template").asBoolean(),
                        noted.path("next_token_logprobs").asBoolean(), noted.path("prompt_logprobs").asBoolean());
            } else {
                capabilities = probe();
                ObjectNode o = JSON.createObjectNode();
                o.put("chat_template", capabilities.chatTemplate());
                o.put("next_token_logprobs", capabilities.nextTokenLogprobs());
                o.put("prompt_logprobs", capabilities.promptLogprobs());
                client.note("capabilities " + model, o);
            }
        }
        return capabilities;
    }

    /** Asks the server what it offers, with one-token requests. */
    private Capabilities probe() {
        boolean chat, letters;
        ObjectNode ask = chatBody(List.of(Message.user("Hello")), 1, 0, 1, 0, 0, List.of());
        ask.put("logprobs", true);
        ask.put("top_logprobs", Math.min(topLogprobs, 5));
        try {
            JsonNode r = client.post("/chat/completions", ask, a -> first(a));
            JsonNode content = r.path("logprobs").path("content");
            chat = true;
            letters = content.isArray() && content.size() > 0 && content.get(0).path("top_logprobs").size() > 0;
        } catch (ApiClient.Refused e) {
            fatal(e);
            letters = false;
            ask.remove(List.of("logprobs", "top_logprobs"));
            try {
                client.post("/chat/completions", ask, a -> first(a));
                chat = true;
            } catch (ApiClient.Refused e2) {
                fatal(e2);
                chat = false;
            }
        }
        boolean prompt;
        ObjectNode echo = completionBody("Hello world", 0, 0, 1, 0, 0, List.of());
        echo.put("echo", true);
        echo.put("logprobs", 1);
        try {
            JsonNode r = client.post("/completions", echo, a -> first(a));
            JsonNode lps = r.path("logprobs").path("token_logprobs");
            prompt = false;
            for (JsonNode x : lps) prompt |= x.isNumber();
        } catch (ApiClient.Refused e) {
            fatal(e);
            prompt = false;
        } catch (AbsorbException e) {
            prompt = false; // retried to the end (a server that breaks on echo): no prompt log-probabilities
        }
        return new Capabilities(chat, letters, prompt);
    }

    /** A wrong key or model name is no missing capability. */
    private void fatal(ApiClient.Refused e) {
        if (e.status == 401 || e.status == 403 || e.status == 404) {
            throw new AbsorbException(e.getMessage() + (e.status == 404 ? " Check --eval-model / --generator-model." : ""));
        }
    }

    @Override
    public long parameters() {
        return -1;
    }

    @Override
    public long tokensProcessed() {
        return tokens.get();
    }

    @Override
    public List<Completion> generate(List<Prompt> prompts, Sampling s) {
        List<ObjectNode> chats = new ArrayList<>(), plains = new ArrayList<>();
        List<Integer> chatAt = new ArrayList<>(), plainAt = new ArrayList<>();
        for (int k = 0; k < prompts.size(); k++) {
            Prompt p = prompts.get(k);
            if (p.isChat()) {
                chats.add(chatBody(p.messages(), s.maxNewTokens(), s.temperature(), s.topP(), s.topK(), s.seed() + k, s.stop()));
                chatAt.add(k);
            } else {
                plains.add(completionBody(p.text(), s.maxNewTokens(), s.temperature(), s.topP(), s.topK(), s.seed() + k,
                        s.stop()));
                plainAt.add(k);
            }
        }
        Completion[] out = new Completion[prompts.size()];
        List<Completion> c = client.postAll("/chat/completions", chats, a -> completion(a, true));
        for (int i = 0; i < c.size(); i++) out[chatAt.get(i)] = c.get(i);
        List<Completion> p = client.postAll("/completions", plains, a -> completion(a, false));
        for (int i = 0; i < p.size(); i++) out[plainAt.get(i)] = p.get(i);
        return List.of(out);
    }

    private Completion completion(JsonNode answer, boolean chat) {
        JsonNode c = first(answer);
        JsonNode text = chat ? c.path("message").path("content") : c.path("text");
        if (!text.isTextual() && !text.isNull()) throw new ApiClient.Malformed("a choice without text");
        String finish = c.path("finish_reason").asText("stop");
        JsonNode u = answer.path("usage");
        count(u);
        return new Completion(text.isNull() ? "" : text.asText(), finish.equals("length") ? "length" : "stop",
                u.path("prompt_tokens").asInt(0), u.path("completion_tokens").asInt(0));
    }

    @Override
    public List<double[]> nextTokenLogProbs(List<Prompt> prompts, List<String> candidates) {
        List<ObjectNode> bodies = new ArrayList<>();
        for (Prompt p : prompts) {
            ObjectNode b;
            if (p.isChat()) {
                b = chatBody(p.messages(), 1, 0, 1, 0, 0, List.of());
                b.put("logprobs", true);
                b.put("top_logprobs", topLogprobs);
            } else {
                b = completionBody(p.text(), 1, 0, 1, 0, 0, List.of());
                b.put("logprobs", topLogprobs);
            }
            bodies.add(b);
        }
        List<double[]> out = new ArrayList<>();
        List<Integer> chat = new ArrayList<>(), plain = new ArrayList<>();
        for (int k = 0; k < prompts.size(); k++) (prompts.get(k).isChat() ? chat : plain).add(k);
        double[][] scores = new double[prompts.size()][];
        List<double[]> c = client.postAll("/chat/completions", chat.stream().map(bodies::get).toList(),
                a -> chatLetters(a, candidates));
        for (int i = 0; i < c.size(); i++) scores[chat.get(i)] = c.get(i);
        List<double[]> p = client.postAll("/completions", plain.stream().map(bodies::get).toList(),
                a -> completionLetters(a, candidates));
        for (int i = 0; i < p.size(); i++) scores[plain.get(i)] = p.get(i);
        out.addAll(Arrays.asList(scores));
        return out;
    }

    /** Each candidate's log-probability among the first position's alternatives (and its chosen token). */
    private double[] chatLetters(JsonNode answer, List<String> candidates) {
        JsonNode content = first(answer).path("logprobs").path("content");
        if (!content.isArray() || content.isEmpty()) throw new ApiClient.Malformed("no logprobs in the answer");
        count(answer.path("usage"));
        JsonNode pos = content.get(0);
        double[] out = new double[candidates.size()];
        Arrays.fill(out, Double.NEGATIVE_INFINITY);
        List<JsonNode> entries = new ArrayList<>();
        pos.path("top_logprobs").forEach(entries::add);
        entries.add(pos);
        for (JsonNode e : entries) {
            int c = candidates.indexOf(e.path("token").asText(null));
            if (c >= 0 && e.path("logprob").isNumber()) out[c] = Math.max(out[c], e.get("logprob").asDouble());
        }
        return out;
    }

    private double[] completionLetters(JsonNode answer, List<String> candidates) {
        JsonNode top = first(answer).path("logprobs").path("top_logprobs");
        if (!top.isArray() || top.isEmpty()) throw new ApiClient.Malformed("no logprobs in the answer");
        count(answer.path("usage"));
        double[] out = new double[candidates.size()];
        Arrays.fill(out, Double.NEGATIVE_INFINITY);
        top.get(0).properties().forEach(e -> {
            int c = candidates.indexOf(e.getKey());
            if (c >= 0) out[c] = Math.max(out[c], e.getValue().asDouble());
        });
        return out;
    }

    @Override
    public List<List<Likelihood>> continuationLikelihoods(List<ContinuationRequest> requests) {
        List<ObjectNode> bodies = new ArrayList<>();
        List<String> contexts = new ArrayList<>();
        List<int[]> owner = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            ContinuationRequest q = requests.get(r);
            for (int j = 0; j < q.continuations().size(); j++) {
                String context = q.context(), cont = q.continuations().get(j);
                int spaces = context.length() - context.stripTrailing().length();
                if (spaces > 0) { // lm-evaluation-harness moves the context's trailing whitespace to the continuation
                    cont = context.substring(context.length() - spaces) + cont;
                    context = context.substring(0, context.length() - spaces);
                }
                ObjectNode b = completionBody(context + cont, 0, 0, 1, 0, 0, List.of());
                b.put("echo", true);
                b.put("logprobs", 1);
                bodies.add(b);
                contexts.add(context);
                owner.add(new int[] {r, j});
            }
        }
        List<JsonNode> answers = client.postAll("/completions", bodies, a -> {
            JsonNode lp = first(a).path("logprobs");
            if (!lp.path("token_logprobs").isArray() || !lp.path("tokens").isArray()) {
                throw new ApiClient.Malformed("no prompt logprobs in the answer (the server needs echo with logprobs)");
            }
            return a;
        });
        List<List<Likelihood>> out = new ArrayList<>();
        for (ContinuationRequest q : requests) out.add(new ArrayList<>(java.util.Collections.nCopies(q.continuations().size(),
                (Likelihood) null)));
        for (int i = 0; i < answers.size(); i++) {
            count(answers.get(i).path("usage"));
            String prompt = bodies.get(i).get("prompt").asText();
            out.get(owner.get(i)[0]).set(owner.get(i)[1], likelihood(answers.get(i), contexts.get(i), prompt));
        }
        return out;
    }

    /**
     * The continuation's log-likelihood from an echoed prompt's logprobs: its tokens are those from the first whose
     * text reaches past the context (offsets in code points, as the OpenAI API counts them) to the prompt's end.
     */
    static Likelihood likelihood(JsonNode answer, String context, String prompt) {
        JsonNode lp = first(answer).path("logprobs");
        JsonNode tokens = lp.get("tokens"), lps = lp.get("token_logprobs"), tops = lp.path("top_logprobs"),
                offsets = lp.path("text_offset");
        int n = tokens.size();
        int[] start = new int[n];
        boolean haveOffsets = offsets.isArray() && offsets.size() == n;
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = haveOffsets ? offsets.get(i).asInt() : at;
            String t = tokens.get(i).asText();
            at = start[i] + t.codePointCount(0, t.length());
        }
        int contextEnd = context.codePointCount(0, context.length());
        int promptEnd = prompt.codePointCount(0, prompt.length());
        double ll = 0;
        int count = 0;
        boolean greedy = true;
        for (int i = 0; i < n; i++) {
            int end = i + 1 < n ? start[i + 1] : promptEnd;
            if (start[i] >= promptEnd && i > 0) break; // a generated token (a server that ignored max_tokens 0)
            if (end <= contextEnd) continue;
            JsonNode x = lps.get(i);
            if (x == null || !x.isNumber()) throw new ApiClient.Malformed("a continuation token has no log-probability");
            ll += x.asDouble();
            count++;
            JsonNode top = tops.get(i);
            if (top != null && top.isObject() && top.size() > 0) {
                double best = Double.NEGATIVE_INFINITY;
                for (var e : top.properties()) best = Math.max(best, e.getValue().asDouble());
                greedy &= x.asDouble() == best;
            }
        }
        if (count == 0) throw new AbsorbException("A continuation has no tokens of its own in the server's answer.");
        return new Likelihood(ll, count, greedy);
    }

    private ObjectNode chatBody(List<Message> messages, int maxTokens, double temperature, double topP, int topK, long seed,
            List<String> stop) {
        ObjectNode b = JSON.createObjectNode();
        b.put("model", model);
        ArrayNode ms = b.putArray("messages");
        for (Message m : messages) ms.addObject().put("role", m.role()).put("content", m.content());
        sampling(b, maxTokens, temperature, topP, topK, seed, stop);
        return b;
    }

    private ObjectNode completionBody(String prompt, int maxTokens, double temperature, double topP, int topK, long seed,
            List<String> stop) {
        ObjectNode b = JSON.createObjectNode();
        b.put("model", model);
        b.put("prompt", prompt);
        sampling(b, maxTokens, temperature, topP, topK, seed, stop);
        return b;
    }

    private static void sampling(ObjectNode b, int maxTokens, double temperature, double topP, int topK, long seed,
            List<String> stop) {
        b.put("max_tokens", maxTokens);
        b.put("temperature", temperature);
        if (topP < 1) b.put("top_p", topP);
        if (topK > 0) b.put("top_k", topK); // vLLM's extension
        b.put("seed", seed);
        if (!stop.isEmpty()) {
            ArrayNode s = b.putArray("stop");
            stop.forEach(s::add);
        }
    }

    private void count(JsonNode usage) {
        tokens.addAndGet(usage.path("total_tokens").asLong(usage.path("prompt_tokens").asLong(0)
                + usage.path("completion_tokens").asLong(0)));
    }

    private static JsonNode first(JsonNode answer) {
        JsonNode c = answer.path("choices");
        if (!c.isArray() || c.isEmpty() || !c.get(0).isObject()) throw new ApiClient.Malformed("an answer without choices");
        return c.get(0);
    }

    @Override
    public void close() {
        client.close();
    }
}
