package absorb.cli;

import absorb.io.AtomicFile;
import absorb.model.Forward;
import absorb.model.Compute;
import absorb.model.HookPoint;
import absorb.model.LanguageModel;
import absorb.model.Transformer;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run one forward pass and write token ids, logits and every layer's hidden states as JSON.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The input text.")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt as a user message in the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message (with --chat).")
    String system;

    @Option(names = "--out", required = true, paramLabel = "FILE.json", description = "Where to write the result.")
    Path out;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Mixin
    Options options;

    @Override
    public Integer call() {
        Compute compute = options.compute();
        try (LanguageModel lm = LanguageModel.load(model, adapter, compute); NDManager scope = compute.newManager()) {
            long[] ids = Prompts.encode(lm.tokenizer(), prompt, chat, system);
            Transformer t = lm.transformer();
            Map<String, float[]> hidden = new LinkedHashMap<>();
            Transformer.ResidualHook hook = Transformer.ResidualHook.collectAll(hidden);
            float[] logits = t.forward(scope, Forward.of(new long[][] {ids}).withHook(hook))
                    .logits().toFloatArray();
            int vocab = t.config().vocabSize(), width = t.config().hiddenSize();
            AtomicFile.write(out, stream -> {
                try (JsonGenerator g = new JsonFactory().createGenerator(stream, JsonEncoding.UTF8)) {
                    g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                    g.writeStartObject();
                    g.writeArrayFieldStart("token_ids");
                    for (long id : ids) g.writeNumber(id);
                    g.writeEndArray();
                    g.writeFieldName("logits");
                    rows(g, logits, ids.length, vocab);
                    g.writeArrayFieldStart("hidden_states");
                    for (String point : HookPoint.hiddenStates(t.layers())) rows(g, hidden.get(point), ids.length, width);
                    g.writeEndArray();
                    g.writeArrayFieldStart("hook_points");
                    for (String point : HookPoint.hiddenStates(t.layers())) g.writeString(point);
                    g.writeEndArray();
                    g.writeEndObject();
                }
            });
            System.out.printf("wrote %s: %d tokens, logits %d x %d, %d hidden states%n", out, ids.length, ids.length,
                    vocab, t.layers() + 1);
        }
        return 0;
    }

    private static void rows(JsonGenerator g, float[] data, int rows, int width) throws IOException {
        g.writeStartArray();
        for (int r = 0; r < rows; r++) {
            g.writeStartArray();
            for (int i = r * width, end = i + width; i < end; i++) g.writeNumber(data[i]);
            g.writeEndArray();
        }
        g.writeEndArray();
    }
}
