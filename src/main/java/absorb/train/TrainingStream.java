package absorb.train;

import java.util.List;

/** The batches of each optimizer step: from a JSONL file, or generated (a toy world). */
public interface TrainingStream {
    int totalSteps();

    /** The micro-batches of optimizer step {@code s} (0-based); the same for the same s, so runs can resume. */
    List<Batch> step(int s);

    /** Passes over the data after {@code stepsDone} steps (for a generated stream, steps / total). */
    double epochOf(int stepsDone);

    /** Identifies the data, so that a checkpoint is not resumed on other data. */
    String fingerprint();

    /** One line describing the data, for the log. */
    String describe();

    /** The distinct token ids that occur anywhere in the data, or null where the stream cannot list them. */
    default long[] tokenIds() {
        return null;
    }
}
