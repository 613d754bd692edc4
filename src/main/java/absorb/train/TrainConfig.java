package absorb.train;

import absorb.AbsorbException;
import absorb.model.LoraAdapter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a fine-tuning run needs; every knob is a named field with a default (see {@link #defaults}).
 *
 * @param model base model folder
 * @param data JSONL training data
 * @param out output folder (the trained model or adapter, checkpoints, metrics, loss curve)
 * @param lora train a LoRA adapter instead of every weight
 * @param epochs passes over the data (ignored when maxSteps > 0)
 * @param maxSteps optimizer steps to run; 0 means epochs decide
 * @param warmup learning-rate warm-up steps
 * @param batchSize sequences per micro-batch (rows of maxLength tokens when packing)
 * @param gradAccum micro-batches per optimizer step
 * @param checkpointEvery optimizer steps between checkpoints (0: only at the end)
 * @param keepCheckpoints how many checkpoints to keep (oldest removed first)
 * @param logEvery optimizer steps between metric lines
 * @param deterministic one thread and per-step seeds, so a resumed run ends exactly where an uninterrupted one does
 * @param dtype "float32", or "bf16" for LoRA: the frozen base computes in bfloat16, the adapter in float32
 * @param adapter a PEFT adapter to continue training (LoRA only; its rank, alpha and targets are the run's), or null
 */
public record TrainConfig(Path model, Path data, Path out, boolean lora, int loraRank, double loraAlpha,
        double loraDropout, List<String> loraTargets, int epochs, int maxSteps, double lr, String schedule, int warmup,
        double weightDecay, double beta1, double beta2, double eps, double maxGradNorm, int batchSize, int gradAccum,
        int maxLength, boolean rejectLong, boolean packing, long seed, int checkpointEvery, int keepCheckpoints,
        int logEvery, boolean resume, boolean deterministic, String dtype, Path adapter) {

    public TrainConfig {
        if (epochs < 1 && maxSteps < 1) throw new AbsorbException("--epochs or --max-steps must be at least 1.");
        if (maxSteps < 0) throw new AbsorbException("--max-steps must be at least 0, not " + maxSteps + ".");
        if (!(lr > 0)) throw new AbsorbException("--lr must be positive, not " + lr + ".");
        if (batchSize < 1) throw new AbsorbException("--batch-size must be at least 1, not " + batchSize + ".");
        if (gradAccum < 1) throw new AbsorbException("--grad-accum must be at least 1, not " + gradAccum + ".");
        if (maxLength < 2) throw new AbsorbException("--max-length must be at least 2, not " + maxLength + ".");
        if (weightDecay < 0) throw new AbsorbException("--weight-decay must be at least 0, not " + weightDecay + ".");
        if (maxGradNorm < 0) throw new AbsorbException("--max-grad-norm must be at least 0 (0: no clipping).");
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new AbsorbException("--betas must be in [0, 1).");
        if (!(eps > 0)) throw new AbsorbException("--adam-eps must be positive.");
        if (checkpointEvery < 0) throw new AbsorbException("--checkpoint-every must be at least 0.");
        if (keepCheckpoints < 1) throw new AbsorbException("--keep-checkpoints must be at least 1.");
        if (logEvery < 1) throw new AbsorbException("--log-every must be at least 1.");
        new LrSchedule(schedule, warmup, 1);
        if (absorb.model.Compute.parseDtype(dtype) != ai.djl.ndarray.types.DataType.FLOAT32 && !lora) {
            throw new AbsorbException("--dtype " + dtype + " trains LoRA adapters only (a frozen low-precision base, a"
                    + " float32 adapter); full fine-tuning trains in float32.");
        }
        if (adapter != null && !lora) throw new AbsorbException("--adapter continues a LoRA adapter; it needs LoRA training.");
        loraTargets = List.copyOf(loraTargets);
    }

    /** transformers' Trainer defaults where it has them (lr 5e-5, AdamW betas 0.9/0.999, eps 1e-8, linear). */
    public static TrainConfig defaults(Path model, Path data, Path out) {
        return new TrainConfig(model, data, out, false, 16, 32, 0.05, LoraAdapter.TARGETS, 1, 0, 5e-5, "linear", 0, 0.0,
                0.9, 0.999, 1e-8, 1.0, 8, 1, 1024, false, false, 42, 500, 2, 10, false, false, "float32", null);
    }

    /** The fields that must match for a checkpoint to be resumed, as JSON. */
    ObjectNode fingerprint(ObjectNode o) {
        o.put("model", model.toAbsolutePath().normalize().toString());
        if (data != null) o.put("data", data.toAbsolutePath().normalize().toString());
        o.put("lora", lora);
        if (adapter != null) o.put("adapter", adapter.toAbsolutePath().normalize().toString());
        if (lora) {
            o.put("lora_rank", loraRank);
            o.put("lora_alpha", loraAlpha);
            o.put("lora_dropout", loraDropout);
            o.put("lora_targets", String.join(",", loraTargets));
        }
        o.put("epochs", epochs);
        o.put("max_steps", maxSteps);
        o.put("lr", lr);
        o.put("schedule", schedule);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("beta1", beta1);
        o.put("beta2", beta2);
        o.put("eps", eps);
        o.put("max_grad_norm", maxGradNorm);
        o.put("batch_size", batchSize);
        o.put("grad_accum", gradAccum);
        o.put("max_length", maxLength);
        o.put("reject_long", rejectLong);
        o.put("packing", packing);
        o.put("seed", seed);
        o.put("deterministic", deterministic);
        o.put("dtype", dtype);
        return o;
    }
}
