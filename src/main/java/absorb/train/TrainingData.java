package absorb.train;

import absorb.AbsorbException;
import absorb.io.JsonFiles;
import absorb.model.ChatTemplate;
import absorb.model.Tokenizer;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training examples from JSONL in the Hugging Face / TRL conventions, one object per line:
 * <ul>
 *   <li>{@code {"text": ...}}: language modelling; loss on every token (an EOS token closes the text);</li>
 *   <li>{@code {"messages": [{"role", "content"}, ...]}}: rendered with the model's chat template; loss only on the
 *       assistant turns (their text and the template's end-of-turn marks);</li>
 *   <li>{@code {"prompt": ..., "completion": ...}}: loss only on the completion (strings, or lists of messages).</li>
 * </ul>
 * The whole file is read and checked before anything trains: a bad line is reported with file, line and reason.
 */
public final class TrainingData {
    /** One JSON value per line: text after it on the line is an error, as in a JSONL reader that splits lines. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Token ids and, per token, whether the model is trained to predict it. */
    public record Example(long[] ids, boolean[] target, int line) {
        public int targets() {
            int n = 0;
            for (boolean t : target) if (t) n++;
            return n;
        }
    }

    /** The examples, and how many were cut to the length limit. */
    public record Loaded(List<Example> examples, int truncated, long tokens, long targetTokens) {}

    private TrainingData() {}

    /**
     * Reads and tokenizes {@code file}. Sequences longer than {@code maxLength} are cut (and counted), or refused
     * when {@code rejectLong}.
     */
    public static Loaded load(Path file, Tokenizer tokenizer, int maxLength, boolean rejectLong) {
        if (!Files.isRegularFile(file)) throw new AbsorbException("Training data " + file + " does not exist.");
        List<String> lines;
        try {
            String content = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
            lines = List.of(content.split("\r?\n", -1));
        } catch (CharacterCodingException e) {
            throw new AbsorbException("Training data " + file + " is not UTF-8 text.");
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + e.getMessage() + ".");
        }
        List<Example> examples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<Integer> tooLong = new ArrayList<>();
        int truncated = 0;
        long tokens = 0, targets = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            Example e;
            try {
                e = example(JSON.readTree(line), tokenizer, i + 1);
            } catch (JsonProcessingException ex) {
                problems.add("line " + (i + 1) + ": not valid JSON " + JsonFiles.syntaxError(ex, false));
                continue;
            } catch (AbsorbException ex) {
                problems.add("line " + (i + 1) + ": " + ex.getMessage());
                continue;
            }
            if (e.ids().length > maxLength) {
                if (rejectLong) {
                    tooLong.add(i + 1);
                    continue;
                }
                e = new Example(java.util.Arrays.copyOf(e.ids(), maxLength), java.util.Arrays.copyOf(e.target(), maxLength),
                        e.line());
                truncated++;
            }
            if (e.targets() == 0) {
                problems.add("line " + (i + 1) + ": nothing to learn (no target tokens"
                        + (truncated > 0 ? " within --max-length " + maxLength : "") + ")");
                continue;
            }
            examples.add(e);
            tokens += e.ids().length;
            targets += e.targets();
        }
        if (!problems.isEmpty()) {
            throw new AbsorbException("Training data " + file + " " + problems.get(0)
                    + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more bad lines)" : "") + ".");
        }
        if (!tooLong.isEmpty()) {
            throw new AbsorbException("Training data " + file + " has " + tooLong.size() + " sequences longer than"
                    + " --max-length " + maxLength + " (first at line " + tooLong.get(0) + "); raise the limit or drop"
                    + " --reject-long to cut them.");
        }
        if (examples.isEmpty()) throw new AbsorbException("Training data " + file + " has no examples.");
        return new Loaded(examples, truncated, tokens, targets);
    }

    static Example example(JsonNode row, Tokenizer tokenizer, int line) {
        if (!row.isObject()) throw new AbsorbException("not a JSON object");
        if (row.has("messages")) return chat(messages(row.get("messages"), "messages"), tokenizer, line);
        if (row.has("prompt") || row.has("completion")) {
            JsonNode p = row.get("prompt"), c = row.get("completion");
            if (p == null || c == null) throw new AbsorbException("has " + (p == null ? "completion" : "prompt")
                    + " without " + (p == null ? "prompt" : "completion"));
            if (p.isArray() && c.isArray()) {
                List<Map<String, Object>> all = new ArrayList<>(messages(p, "prompt"));
                int promptTurns = all.size();
                all.addAll(messages(c, "completion"));
                return chat(all, tokenizer, line, promptTurns);
            }
            if (!p.isTextual() || !c.isTextual()) {
                throw new AbsorbException("prompt and completion must both be strings or both be lists of messages");
            }
            long[] prompt = tokenizer.encode(p.asText());
            long[] completion = withEos(tokenizer.encodePlain(c.asText()), tokenizer);
            long[] ids = concat(prompt, completion);
            boolean[] target = new boolean[ids.length];
            for (int t = prompt.length; t < ids.length; t++) target[t] = true;
            return new Example(ids, target, line);
        }
        if (row.has("text")) {
            JsonNode t = row.get("text");
            if (!t.isTextual()) throw new AbsorbException("text must be a string");
            long[] ids = withEos(tokenizer.encode(t.asText()), tokenizer);
            boolean[] target = new boolean[ids.length];
            for (int k = 1; k < ids.length; k++) target[k] = true;
            return new Example(ids, target, line);
        }
        throw new AbsorbException("has none of the fields text, messages, prompt/completion");
    }

    private static Example chat(List<Map<String, Object>> messages, Tokenizer tokenizer, int line) {
        return chat(messages, tokenizer, line, 0);
    }

    /**
     * A conversation: the template's rendering, with loss on the assistant turns after {@code firstTrained}
     * messages. Where the template marks them with {% generation %} those marks decide; otherwise each assistant
     * turn is the text between the rendering of the conversation before it (with the generation prompt) and the
     * rendering up to and including it.
     */
    private static Example chat(List<Map<String, Object>> messages, Tokenizer tokenizer, int line, int firstTrained) {
        if (!tokenizer.hasChatTemplate()) {
            throw new AbsorbException("is a conversation but the model has no chat template");
        }
        ChatTemplate.Rendered full = tokenizer.renderChat(messages, false);
        String text = full.text();
        List<int[]> spans = new ArrayList<>();
        if (tokenizer.chatTemplate().marksGenerations() && firstTrained == 0) {
            spans.addAll(full.generationSpans());
        } else {
            for (int i = Math.max(firstTrained, 0); i < messages.size(); i++) {
                if (!"assistant".equals(messages.get(i).get("role"))) continue;
                String before = tokenizer.renderChat(messages.subList(0, i), true).text();
                String upTo = i + 1 == messages.size() ? text : tokenizer.renderChat(messages.subList(0, i + 1), false).text();
                if (!text.startsWith(before) || !text.startsWith(upTo) || upTo.length() < before.length()) {
                    throw new AbsorbException("the chat template does not render this conversation turn by turn, so the"
                            + " assistant's tokens cannot be located (add {% generation %} marks to the template)");
                }
                spans.add(new int[] {before.length(), upTo.length()});
            }
        }
        if (spans.isEmpty()) throw new AbsorbException("has no assistant message to learn");
        Encoding enc = tokenizer.encodeWithOffsets(text);
        long[] ids = enc.getIds();
        CharSpan[] offsets = enc.getCharTokenSpans();
        boolean[] target = new boolean[ids.length];
        for (int[] span : spans) {
            // Token offsets count Unicode code points; Java strings count UTF-16 units.
            int start = text.codePointCount(0, span[0]), end = text.codePointCount(0, span[1]);
            for (int t = 0; t < ids.length; t++) {
                CharSpan o = offsets[t];
                if (o != null && o.getStart() < end && o.getEnd() > start) target[t] = true;
            }
        }
        if (ids.length > 0) target[0] = false; // nothing precedes the first token
        return new Example(ids, target, line);
    }

    private static List<Map<String, Object>> messages(JsonNode list, String field) {
        if (!list.isArray() || list.isEmpty()) throw new AbsorbException(field + " must be a non-empty list of messages");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : list) {
            if (!m.isObject() || !m.path("role").isTextual() || !m.has("content")) {
                throw new AbsorbException(field + " has an entry without a role and a content");
            }
            String role = m.get("role").asText();
            if (!ChatTemplate.ROLES.contains(role)) {
                throw new AbsorbException("message " + (out.size() + 1) + " of " + field + " has role \"" + role
                        + "\", which the chat template does not take (it takes " + String.join(", ", ChatTemplate.ROLES)
                        + ")");
            }
            Map<String, Object> message = new LinkedHashMap<>();
            m.properties().forEach(f -> message.put(f.getKey(), JSON.convertValue(f.getValue(), Object.class)));
            out.add(message);
        }
        return out;
    }

    private static long[] withEos(long[] ids, Tokenizer tokenizer) {
        Integer eos = tokenizer.eosId();
        if (eos == null || (ids.length > 0 && ids[ids.length - 1] == eos)) return ids;
        return concat(ids, new long[] {eos});
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
