package absorb.model;

import absorb.io.AtomicFile;
import absorb.io.JsonFiles;
import absorb.AbsorbException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's tokenizer: {@code tokenizer.json} run by Hugging Face's Rust tokenizers, with special tokens and the
 * chat template from {@code tokenizer_config.json} / {@code chat_template.jinja}. BOS and EOS are added as
 * transformers adds them: by tokenizer.json's post-processor, unless tokenizer_config.json states add_bos_token
 * or add_eos_token, in which case those decide.
 */
public final class Tokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer rust;
    private final Map<String, Integer> addedTokens;
    private final Map<Integer, Boolean> specialIds;
    private final Map<String, String> specialTokens;
    private final Boolean addBos;
    private final Boolean addEos;
    private final boolean cleanUpSpaces;
    private final ChatTemplate chatTemplate;
    private final int size;

    private Tokenizer(HuggingFaceTokenizer rust, Map<String, Integer> addedTokens, Map<Integer, Boolean> specialIds,
            Map<String, String> specialTokens, Boolean addBos, Boolean addEos, boolean cleanUpSpaces,
            ChatTemplate chatTemplate, int size) {
        this.rust = rust;
        this.addedTokens = addedTokens;
        this.specialIds = specialIds;
        this.specialTokens = specialTokens;
        this.addBos = addBos;
        this.addEos = addEos;
        this.cleanUpSpaces = cleanUpSpaces;
        this.chatTemplate = chatTemplate;
        this.size = size;
    }

    /** Loads the tokenizer of a model folder. */
    public static Tokenizer load(Path dir) {
        Checkpoint.requireFolder(dir);
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new AbsorbException("Model folder " + dir + " has no tokenizer.json (absorb needs the fast tokenizer file"
                    + " that transformers saves).");
        }
        JsonNode tokJson = JsonFiles.readObject(file, "Tokenizer");
        JsonNode config = Files.isRegularFile(dir.resolve("tokenizer_config.json"))
                ? JsonFiles.readObject(dir.resolve("tokenizer_config.json"), "Tokenizer config") : JsonFiles.MAPPER.createObjectNode();
        JsonNode specialMap = Files.isRegularFile(dir.resolve("special_tokens_map.json"))
                ? JsonFiles.readObject(dir.resolve("special_tokens_map.json"), "Special tokens map") : JsonFiles.MAPPER.createObjectNode();

        Map<String, Integer> added = new LinkedHashMap<>();
        Map<Integer, Boolean> special = new HashMap<>();
        for (JsonNode t : tokJson.path("added_tokens")) {
            added.put(t.path("content").asText(), t.path("id").asInt());
            if (t.path("special").asBoolean(false)) special.put(t.path("id").asInt(), true);
        }
        Map<String, String> specials = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token",
                "mask_token")) {
            String v = tokenText(config.get(key));
            if (v == null) v = tokenText(specialMap.get(key));
            if (v != null) specials.put(key, v);
        }
        Boolean addBos = config.has("add_bos_token") && !config.get("add_bos_token").isNull()
                ? config.get("add_bos_token").asBoolean() : null;
        Boolean addEos = config.has("add_eos_token") && !config.get("add_eos_token").isNull()
                ? config.get("add_eos_token").asBoolean() : null;
        boolean cleanUp = config.path("clean_up_tokenization_spaces").asBoolean(false);

        HuggingFaceTokenizer rust;
        try {
            Map<String, String> options = new HashMap<>();
            options.put("addSpecialTokens", "true");
            options.put("truncation", "false");
            options.put("padding", "false");
            options.put("maxLength", String.valueOf(Integer.MAX_VALUE / 2));
            rust = HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException | RuntimeException e) {
            throw new AbsorbException("Tokenizer " + file + " could not be loaded: " + e.getMessage() + ".", e);
        }
        int size = vocabularySize(tokJson, added);
        return new Tokenizer(rust, added, special, specials, addBos, addEos, cleanUp, chatTemplate(dir, config), size);
    }

    private static ChatTemplate chatTemplate(Path dir, JsonNode config) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return new ChatTemplate(Files.readString(jinja, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AbsorbException("Cannot read " + jinja + ": " + AtomicFile.describe(e) + ".");
            }
        }
        Path jsonTemplate = dir.resolve("chat_template.json");
        JsonNode t = config.get("chat_template");
        if ((t == null || t.isNull()) && Files.isRegularFile(jsonTemplate)) t = JsonFiles.readObject(jsonTemplate, "Chat template").get("chat_template");
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return new ChatTemplate(t.asText());
        if (t.isArray()) {
            // Several named templates: "default" is the one apply_chat_template uses.
            for (JsonNode named : t) {
                if (named.path("name").asText().equals("default")) return new ChatTemplate(named.path("template").asText());
            }
            if (t.size() > 0) return new ChatTemplate(t.get(0).path("template").asText());
        }
        return null;
    }

    private static int vocabularySize(JsonNode tokJson, Map<String, Integer> added) {
        JsonNode vocab = tokJson.path("model").path("vocab");
        int max = -1;
        if (vocab.isObject()) {
            for (JsonNode id : vocab) max = Math.max(max, id.asInt());
        } else if (vocab.isArray()) {
            max = vocab.size() - 1;
        }
        for (int id : added.values()) max = Math.max(max, id);
        return max + 1;
    }

    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.has("content")) return n.get("content").asText();
        return null;
    }

    /** Token ids of {@code text} with the special tokens transformers adds (BOS for Llama 3, none for Qwen2). */
    public long[] encode(String text) {
        if (addBos == null && addEos == null) return rust.encode(text, true, false).getIds();
        long[] plain = encodePlain(text);
        Integer bos = Boolean.TRUE.equals(addBos) ? bosId() : null;
        Integer eos = Boolean.TRUE.equals(addEos) ? eosId() : null;
        long[] out = new long[plain.length + (bos != null ? 1 : 0) + (eos != null ? 1 : 0)];
        int k = 0;
        if (bos != null) out[k++] = bos;
        System.arraycopy(plain, 0, out, k, plain.length);
        if (eos != null) out[out.length - 1] = eos;
        return out;
    }

    /** Token ids of {@code text} alone, no special tokens added (special-token text in it still maps to them). */
    public long[] encodePlain(String text) {
        return rust.encode(text, false, false).getIds();
    }

    /** Token ids of {@code text} with each token's span in the text (in code points), no special tokens added. */
    public ai.djl.huggingface.tokenizers.Encoding encodeWithOffsets(String text) {
        return rust.encode(text, false, false);
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        String s = rust.decode(ids, skipSpecialTokens);
        return cleanUpSpaces ? cleanUp(s) : s;
    }

    /** transformers' clean_up_tokenization: removes spaces before punctuation and contractions. */
    static String cleanUp(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    /** The template's rendering of a conversation, with the generation prompt when asked. */
    public ChatTemplate.Rendered renderChat(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        if (chatTemplate == null) {
            throw new AbsorbException("This model has no chat template (neither chat_template.jinja nor a chat_template in"
                    + " tokenizer_config.json); run without --chat.");
        }
        Map<String, Object> vars = new HashMap<>(specialTokens);
        return chatTemplate.render(messages, addGenerationPrompt, vars);
    }

    /** Token ids of a conversation, as apply_chat_template(..., tokenize=True) gives them. */
    public long[] encodeChat(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        return encodePlain(renderChat(messages, addGenerationPrompt).text());
    }

    /** A conversation of an optional system message and one user message. */
    public static List<Map<String, Object>> conversation(String system, String user) {
        List<Map<String, Object>> messages = new ArrayList<>();
        if (system != null) messages.add(Map.of("role", "system", "content", system));
        messages.add(Map.of("role", "user", "content", user));
        return messages;
    }

    public boolean hasChatTemplate() {
        return chatTemplate != null;
    }

    public ChatTemplate chatTemplate() {
        return chatTemplate;
    }

    /** The id of an added (special) token by its text, or null. */
    public Integer addedTokenId(String text) {
        return addedTokens.get(text);
    }

    public boolean isSpecial(long id) {
        return specialIds.containsKey((int) id);
    }

    public String specialToken(String key) {
        return specialTokens.get(key);
    }

    public Integer bosId() {
        return idOf("bos_token");
    }

    public Integer eosId() {
        return idOf("eos_token");
    }

    public Integer padId() {
        return idOf("pad_token");
    }

    public Integer unkId() {
        return idOf("unk_token");
    }

    private Integer idOf(String key) {
        String t = specialTokens.get(key);
        if (t == null) return null;
        Integer id = addedTokens.get(t);
        if (id != null) return id;
        long[] ids = encodePlain(t);
        return ids.length == 1 ? (int) ids[0] : null;
    }

    /** Whether encoding {@code text} adds a BOS token in front. */
    public boolean addsBos() {
        Integer bos = bosId();
        if (bos == null) return false;
        long[] ids = encode("a");
        return ids.length > 0 && ids[0] == bos;
    }

    /** Number of token ids the tokenizer can produce (largest id + 1). */
    public int size() {
        return size;
    }

    @Override
    public void close() {
        rust.close();
    }
}
