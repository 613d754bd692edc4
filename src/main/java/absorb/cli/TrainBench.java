package absorb.cli;

import absorb.model.LoraAdapter;
import absorb.model.Transformer;
import absorb.train.AdamW;
import absorb.train.Batch;
import absorb.train.CausalLmLoss;
import absorb.train.TrainingData;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training speed for `absorb bench --train`: optimizer steps on random batches of 4 x 128 tokens (every token a
 * target), full fine-tuning with AdamW, then LoRA rank 16 on all seven projections; one warm-up step, then the
 * median of the timed ones. Tokens per second count the batch's tokens.
 */
final class TrainBench {
    static final int ROWS = 4, LENGTH = 128;

    private TrainBench() {}

    static void run(Transformer model, SplittableRandom random, int repeats, ObjectNode out) {
        Batch batch = randomBatch(model.config().vocabSize(), random);
        // Full fine-tuning trains float32 weights only (see TrainConfig); with a bf16 model only LoRA is measured.
        if (model.compute().dtype() == ai.djl.ndarray.types.DataType.FLOAT32) {
            BenchCommand.resetPeakRss();
            model.prepareForTraining();
            Map<String, NDArray> full = model.parameters();
            full.values().forEach(p -> p.setRequiresGradient(true));
            try (AdamW opt = new AdamW(full, 0.0, AdamW::decaysByDefault, 0.9, 0.999, 1e-8, model.manager())) {
                out.put("train_tok_s", Math.round(ROWS * LENGTH / median(model, opt, batch, repeats) * 10) / 10.0);
            }
            out.put("train_peak_rss_mb", Math.round(BenchCommand.peakRssMb() * 10) / 10.0);
            full.values().forEach(p -> p.setRequiresGradient(false));
        }
        BenchCommand.resetPeakRss();
        Map<String, NDArray> lora = LoraAdapter.attachNew(model, LoraAdapter.Config.of(16, 32, 0.0, LoraAdapter.TARGETS), 1);
        lora.values().forEach(p -> p.setRequiresGradient(true));
        try (AdamW opt = new AdamW(lora, 0.0, AdamW::decaysByDefault, 0.9, 0.999, 1e-8, model.manager())) {
            out.put("lora_tok_s", Math.round(ROWS * LENGTH / median(model, opt, batch, repeats) * 10) / 10.0);
        }
        out.put("lora_peak_rss_mb", Math.round(BenchCommand.peakRssMb() * 10) / 10.0);
    }

    private static double median(Transformer model, AdamW opt, Batch batch, int repeats) {
        double[] t = new double[repeats + 1];
        try (CausalLmLoss objective = new CausalLmLoss(model)) {
            for (int i = 0; i <= repeats; i++) t[i] = step(objective, opt, batch, i + 1);
        }
        double[] timed = Arrays.copyOfRange(t, 1, t.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    private static double step(CausalLmLoss objective, AdamW opt, Batch batch, int n) {
        long t0 = System.nanoTime();
        objective.backward(batch, 1.0 / batch.targets());
        opt.step(n, 1e-5, 1.0);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Batch randomBatch(int vocab, SplittableRandom random) {
        List<TrainingData.Example> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            long[] ids = random.longs(LENGTH, 0, vocab).toArray();
            boolean[] target = new boolean[LENGTH];
            Arrays.fill(target, 1, LENGTH, true);
            rows.add(new TrainingData.Example(ids, target, r + 1));
        }
        return Batch.padded(rows, 0);
    }
}
