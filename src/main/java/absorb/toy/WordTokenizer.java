package absorb.toy;

import absorb.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * A word-level tokenizer in Hugging Face's tokenizer.json format: text splits on whitespace, each word is one token
 * (unknown words become {@code <unk>}), and a {@code <bos>} token starts every encoded text. Ids: 0 {@code <pad>},
 * 1 {@code <bos>}, 2 {@code <eos>}, 3 {@code <unk>}, then the words in order.
 */
public final class WordTokenizer {
    public static final List<String> SPECIAL = List.of("<pad>", "<bos>", "<eos>", "<unk>");

    private WordTokenizer() {}

    /** Writes tokenizer.json and tokenizer_config.json for {@code words} into {@code dir}. */
    public static void write(Path dir, List<String> words) {
        write(dir, words, null);
    }

    /** As above, with a Jinja chat template in tokenizer_config.json (null: none). */
    public static void write(Path dir, List<String> words, String chatTemplate) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIAL.size(); i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIAL.get(i));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<bos>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<bos>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<bos>");
        bos.put("id", "<bos>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<bos>");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < SPECIAL.size(); i++) vocab.put(SPECIAL.get(i), i);
        for (int i = 0; i < words.size(); i++) vocab.put(words.get(i), SPECIAL.size() + i);
        model.put("unk_token", "<unk>");
        AtomicFile.writeString(dir.resolve("tokenizer.json"), root.toPrettyString());

        ObjectNode config = json.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", "<bos>");
        config.put("eos_token", "<eos>");
        config.put("pad_token", "<pad>");
        config.put("unk_token", "<unk>");
        config.put("model_max_length", 2048);
        config.put("clean_up_tokenization_spaces", false);
        if (chatTemplate != null) config.put("chat_template", chatTemplate);
        AtomicFile.writeString(dir.resolve("tokenizer_config.json"), config.toPrettyString());
    }

    public static int vocabularySize(List<String> words) {
        return SPECIAL.size() + words.size();
    }
}
