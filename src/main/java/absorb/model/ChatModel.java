package absorb.model;

import absorb.AbsorbException;
import java.util.List;

/**
 * A model one can ask to write text and to score text: a model in this process ({@code LocalChatModel}) or one
 * behind an OpenAI-compatible server (absorb's API client). The New News pipeline reaches every model through this
 * interface, so that a run on a 32B model served elsewhere and a run on a bundled toy model are the same code.
 *
 * <p>Requests come in lists: an implementation batches them (many prompts decoding together through the KV cache in
 * this process; many requests in flight against a server). Results come back in the order of the requests.
 */
public interface ChatModel extends AutoCloseable {

    /** One turn of a conversation: role (system, user, assistant, tool) and text. */
    record Message(String role, String content) {
        public Message {
            if (role == null || content == null) throw new IllegalArgumentException("a message needs a role and content");
        }

        public static Message system(String text) {
            return new Message("system", text);
        }

        public static Message user(String text) {
            return new Message("user", text);
        }

        public static Message assistant(String text) {
            return new Message("assistant", text);
        }
    }

    /**
     * What the model is asked to continue: a conversation, rendered with the model's chat template and its
     * generation prompt (the assistant's turn opened), or plain text, as a base model reads it. Exactly one of the two
     * is set.
     */
    record Prompt(List<Message> messages, String text) {
        public Prompt {
            if ((messages == null) == (text == null)) throw new IllegalArgumentException("a prompt is a conversation or a text");
            if (messages != null) messages = List.copyOf(messages);
        }

        public static Prompt chat(List<Message> messages) {
            return new Prompt(messages, null);
        }

        public static Prompt plain(String text) {
            return new Prompt(null, text);
        }

        public boolean isChat() {
            return messages != null;
        }
    }

    /**
     * How to generate: the token budget, sampling (temperature 0 is greedy; top-p 1 and top-k 0 switch those filters
     * off), the seed of the first prompt (prompt k of a request list samples with seed + k, so that results do not
     * depend on how requests are batched), and stop strings (the text is cut before the first one).
     */
    record Sampling(int maxNewTokens, double temperature, double topP, int topK, long seed, List<String> stop) {
        public Sampling {
            if (maxNewTokens < 1) throw new AbsorbException("The token budget must be at least 1, not " + maxNewTokens + ".");
            if (temperature < 0) throw new AbsorbException("The temperature must be at least 0, not " + temperature + ".");
            if (!(topP > 0 && topP <= 1)) throw new AbsorbException("top-p must be in (0, 1], not " + topP + ".");
            if (topK < 0) throw new AbsorbException("top-k must be at least 0, not " + topK + ".");
            stop = List.copyOf(stop);
        }

        public static Sampling greedy(int maxNewTokens) {
            return new Sampling(maxNewTokens, 0, 1, 0, 0, List.of());
        }

        public boolean isGreedy() {
            return temperature == 0;
        }
    }

    /**
     * A generated text, why it stopped ({@code stop}: an end-of-sequence token or a stop string; {@code length}: the
     * budget ran out), and how many tokens the prompt and the completion took.
     */
    record Completion(String text, String finishReason, int promptTokens, int completionTokens) {}

    /**
     * A context and the texts whose likelihood after it is wanted (the options of a multiple-choice question).
     * Tokenisation follows lm-evaluation-harness: trailing whitespace of the context moves to the front of each
     * continuation, and a continuation's tokens are those of context + continuation after the context's own.
     */
    record ContinuationRequest(String context, List<String> continuations) {
        public ContinuationRequest {
            continuations = List.copyOf(continuations);
            if (continuations.isEmpty()) throw new IllegalArgumentException("no continuation to score");
        }
    }

    /**
     * The log-likelihood of one continuation: the sum of its tokens' log-probabilities, how many tokens it has, and
     * whether greedy decoding would have produced it (every token the most likely one).
     */
    record Likelihood(double logLikelihood, int tokens, boolean greedy) {}

    /**
     * What a model offers. {@code chatTemplate}: it renders conversations; {@code nextTokenLogprobs}: it gives the
     * log-probabilities of chosen next tokens (letter scoring); {@code promptLogprobs}: it gives the log-probabilities
     * of a given text's tokens (continuation scoring).
     */
    record Capabilities(boolean chatTemplate, boolean nextTokenLogprobs, boolean promptLogprobs) {}

    /** A name for reports: the model folder, or the served model's name and where it is served. */
    String name();

    Capabilities capabilities();

    /** The model's parameter count (compute accounting), or -1 when it is not known. */
    long parameters();

    /**
     * Tokens this model has read and written for the requests made so far (prompts, continuations scored and
     * generated tokens), for compute accounting; -1 when it cannot tell.
     */
    long tokensProcessed();

    /** One completion per prompt. */
    List<Completion> generate(List<Prompt> prompts, Sampling sampling);

    /**
     * For each prompt, the log-probability of each candidate (such as the letters A-D) as the next token. A candidate
     * the model cannot score gets negative infinity (a server that lists only its top few next tokens).
     */
    List<double[]> nextTokenLogProbs(List<Prompt> prompts, List<String> candidates);

    /** For each request, the likelihood of each of its continuations, in order. */
    List<List<Likelihood>> continuationLikelihoods(List<ContinuationRequest> requests);

    @Override
    void close();
}
