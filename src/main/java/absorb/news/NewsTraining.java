package absorb.news;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import absorb.io.JsonLines;
import absorb.model.Transformer;
import absorb.train.TrainConfig;
import absorb.train.Trainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fine-tuning on System-2 data: all news at once, through {@link Trainer}, by default a LoRA adapter. With
 * contextual shadowing the news is prefixed (shadow.txt) to every training example, the loss staying on the same
 * tokens as without it: the answer becomes predictable from the context, and the weights learn little.
 */
public final class NewsTraining {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The defaults the pipeline trains with: LoRA of rank 16 and alpha 32 on every projection, no dropout, AdamW at
     * 1e-3 with a cosine schedule and no weight decay, batches of 8, 10 epochs, a checkpoint every 50 steps (see the
     * README's New News section for the sweep behind them).
     */
    public static TrainConfig defaults(Path model, Path data, Path out) {
        return TrainConfig.defaults(model, data, out)
                .withData(TrainConfig.defaults(model, data, out).data().withMaxLength(1024))
                .withLora(TrainConfig.Lora.of(16).withDropout(0.0))
                .withOptimizer(TrainConfig.Optimizer.DEFAULTS.withLr(1e-3).withSchedule(TrainConfig.Schedule.COSINE, 0)
                        .withWeightDecay(0.0))
                .withRun(TrainConfig.Run.DEFAULTS.withEpochs(10).withBatch(8, 1).withSeed(0).withCheckpoints(50, 1)
                        .withLogEvery(10));
    }

    private NewsTraining() {}

    /**
     * The training file for one fine-tuning: {@code train.jsonl} as generated, or with the news prefixed to every
     * example ({@code shadowing}), written to {@code target}. Returns the number of examples.
     */
    public static int prepareData(Path train, List<NewsItem> items, Prompts prompts, boolean shadowing, Path target) {
        Map<String, String> news = new HashMap<>();
        items.forEach(i -> news.put(i.id(), i.news()));
        StringBuilder out = new StringBuilder();
        int n = 0;
        for (JsonNode e : JsonLines.read(train)) {
            if (!news.containsKey(e.path("news_id").asText())) continue;
            out.append(shadowing ? shadowed(e, news.get(e.path("news_id").asText()), prompts) : e).append('\n');
            n++;
        }
        if (n == 0) throw new AbsorbException("Training data " + train + " has no example for the news items chosen.");
        AtomicFile.writeString(target, out.toString());
        return n;
    }

    /**
     * The example with the news in front: a text becomes prompt (the news) and completion (the text, the only part
     * trained on); a prompt gets the news in front of it; a conversation gets the news at the start of its first user
     * turn.
     */
    static ObjectNode shadowed(JsonNode example, String newsText, Prompts prompts) {
        String prefix = prompts.fill(Prompts.Template.SHADOW, Map.of("news", newsText));
        ObjectNode o = ((ObjectNode) example).deepCopy();
        if (o.has("text")) {
            String text = o.remove("text").asText();
            o.put("prompt", prefix);
            o.put("completion", text);
            return o;
        }
        if (o.has("prompt")) {
            o.put("prompt", prefix + o.get("prompt").asText());
            return o;
        }
        ArrayNode messages = (ArrayNode) o.get("messages");
        for (JsonNode m : messages) {
            if (m.path("role").asText().equals("user")) {
                ((ObjectNode) m).put("content", prefix + m.path("content").asText());
                break;
            }
        }
        return o;
    }

    /** Trains {@code model} (loaded from the config's model, kept open) on the config's data; see {@link Trainer#run(Transformer)}. */
    public static Trainer.Result train(Transformer model, TrainConfig config, Trainer.Listener listener) {
        return new Trainer(config, listener).run(model);
    }

    /** The config as JSON, for fingerprints and config.json. */
    public static ObjectNode describe(TrainConfig c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("lora", c.lora().enabled());
        if (c.lora().enabled()) {
            o.put("lora_rank", c.lora().rank());
            o.put("lora_alpha", c.lora().alpha());
            o.put("lora_dropout", c.lora().dropout());
            o.put("lora_targets", String.join(",", c.lora().targets()));
        }
        o.put("lr", c.optimizer().lr());
        o.put("schedule", c.optimizer().schedule().spelling());
        o.put("warmup", c.optimizer().warmup());
        o.put("weight_decay", c.optimizer().weightDecay());
        if (c.optimizer().anchorDecay() > 0) o.put("anchor_decay", c.optimizer().anchorDecay());
        if (c.optimizer().holdAbsentTokens()) o.put("hold_absent_tokens", true);
        o.put("epochs", c.run().epochs());
        o.put("max_steps", c.run().maxSteps());
        o.put("batch_size", c.run().batchSize());
        o.put("grad_accum", c.run().gradAccum());
        o.put("max_length", c.data().maxLength());
        o.put("seed", c.run().seed());
        o.put("deterministic", c.run().deterministic());
        return o;
    }
}
