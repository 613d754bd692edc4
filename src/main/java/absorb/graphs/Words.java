package absorb.graphs;

import absorb.AbsorbException;
import absorb.model.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/** The words placed on a graph's nodes, and the single token each one is for the model. */
public final class Words {
    /** The 30 familiar words of the in-context representations study. */
    public static final List<String> DEFAULT = List.of("apple", "bird", "car", "egg", "house", "milk", "plane", "opera",
            "box", "sand", "sun", "mango", "rock", "math", "code", "phone", "tree", "dog", "metal", "water", "fire",
            "boat", "mouse", "cup", "book", "paper", "key", "tea", "shoe", "ball");

    /** The days of the week, in their natural order. */
    public static final List<String> DAYS =
            List.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday");

    private Words() {}

    /** A word list: one word per line (blank lines and # comments skipped), each word once. */
    public static List<String> fromFile(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String w = line.strip();
                if (w.isEmpty() || w.startsWith("#")) continue;
                if (w.contains(" ")) throw new AbsorbException("Word list " + file + " has \"" + w + "\", which is not one word.");
                out.add(w);
            }
            if (new LinkedHashSet<>(out).size() != out.size()) throw new AbsorbException("Word list " + file + " repeats a word.");
            return out;
        } catch (IOException e) {
            throw new AbsorbException("Cannot read word list " + file + ": " + e.getMessage() + ".");
        }
    }

    /** The first {@code n} words, in order or shuffled with {@code seed}. */
    public static List<String> assign(List<String> words, int n, boolean shuffle, long seed) {
        if (words.size() < n) {
            throw new AbsorbException("The graph has " + n + " nodes but only " + words.size() + " words are given.");
        }
        List<String> pool = new ArrayList<>(words);
        if (shuffle) Collections.shuffle(pool, new Random(seed));
        return List.copyOf(pool.subList(0, n));
    }

    /** The token id of " word" for each word; refuses a word that is not a single token, naming it. */
    public static long[] tokenIds(Tokenizer tokenizer, List<String> words) {
        long[] ids = new long[words.size()];
        for (int i = 0; i < ids.length; i++) {
            long[] t = tokenizer.encodePlain(" " + words.get(i));
            if (t.length != 1) {
                throw new AbsorbException("The word \"" + words.get(i) + "\" is " + t.length + " tokens for this model (with its"
                        + " leading space); every graph word must be a single token. Choose other words (--words FILE).");
            }
            if (tokenizer.unkId() != null && t[0] == tokenizer.unkId()) {
                throw new AbsorbException("The word \"" + words.get(i) + "\" is not in this model's vocabulary (it maps to the"
                        + " unknown token). Choose other words (--words FILE).");
            }
            ids[i] = t[0];
        }
        if (java.util.Arrays.stream(ids).distinct().count() != ids.length) {
            throw new AbsorbException("Two graph words map to the same token for this model.");
        }
        return ids;
    }
}
