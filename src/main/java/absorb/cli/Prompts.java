package absorb.cli;

import absorb.AbsorbException;
import absorb.model.Tokenizer;

/** Turns --prompt / --chat / --system into token ids, as transformers would. */
final class Prompts {
    private Prompts() {}

    static long[] encode(Tokenizer tokenizer, String prompt, boolean chat, String system) {
        if (system != null && !chat) throw new AbsorbException("--system needs --chat.");
        long[] ids = chat ? tokenizer.encodeChat(Tokenizer.conversation(system, prompt), true) : tokenizer.encode(prompt);
        if (ids.length == 0) throw new AbsorbException("The prompt is empty: it encodes to no tokens.");
        return ids;
    }
}
