package absorb.cli;

import absorb.model.Checkpoint;
import absorb.model.GenerationConfig;
import absorb.model.ModelConfig;
import absorb.model.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a model folder: architecture, parameters, dtype, context length, memory needed.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "Also describe this PEFT LoRA adapter.")
    Path adapter;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        List<String> problems = new java.util.ArrayList<>(Checkpoint.problems(model));
        if (adapter != null) {
            try {
                absorb.model.LoraAdapter.readConfig(adapter);
            } catch (absorb.AbsorbException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new absorb.AbsorbException(String.join("\n", problems));
        ModelConfig c = Checkpoint.config(model);
        long params = c.parameterCount();
        long fileBytes = Checkpoint.weightBytes(model);
        GenerationConfig g = GenerationConfig.read(model, c);
        System.out.printf(Locale.ROOT, "model            %s%n", model);
        System.out.printf(Locale.ROOT, "architecture     %s%n", c.architecture());
        System.out.printf(Locale.ROOT, "parameters       %,d (%s)%n", params, human(params, ""));
        System.out.printf(Locale.ROOT, "stored dtype     %s (%s on disk)%n", c.torchDtype(), bytes(fileBytes));
        System.out.printf(Locale.ROOT, "context length   %,d tokens%n", c.maxPositionEmbeddings());
        System.out.printf(Locale.ROOT, "layers           %d, hidden %d, intermediate %d%n", c.numHiddenLayers(),
                c.hiddenSize(), c.intermediateSize());
        System.out.printf(Locale.ROOT, "attention        %d heads, %d key/value heads, head_dim %d%s%n",
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), window(c));
        System.out.printf(Locale.ROOT, "rope             %s, theta %s%n", c.rope().type(), c.rope().theta());
        System.out.printf(Locale.ROOT, "vocabulary       %,d%s%n", c.vocabSize(),
                c.tieWordEmbeddings() ? " (embeddings tied to lm_head)" : "");
        long kvPerToken = 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim();
        System.out.printf(Locale.ROOT, "memory (weights) %s in float32, %s in bf16%n", bytes(params * 4), bytes(params * 2));
        System.out.printf(Locale.ROOT, "memory (KV)      %s per 1,000 tokens in float32; %s for the full context%n",
                bytes(kvPerToken * 4 * 1000), bytes(kvPerToken * 4 * c.maxPositionEmbeddings()));
        try (Tokenizer tok = Tokenizer.load(model)) {
            System.out.printf(Locale.ROOT, "tokenizer        %,d ids; BOS %s; chat template %s%n", tok.size(),
                    tok.addsBos() ? "added (" + tok.specialToken("bos_token") + ")" : "not added",
                    tok.hasChatTemplate() ? "yes" : "no");
        }
        System.out.printf(Locale.ROOT, "stop ids         %s%n", g.eosTokenIds());
        if (adapter != null) {
            absorb.model.LoraAdapter.Config a = absorb.model.LoraAdapter.readConfig(adapter);
            System.out.printf(Locale.ROOT, "adapter          LoRA rank %d, alpha %s, targets %s (%s)%n", a.rank(), a.alpha(),
                    String.join(",", a.targetModules()), adapter);
        }
        System.out.printf(Locale.ROOT, "sampling default %s%n", g.doSample()
                ? String.format(Locale.ROOT, "temperature %s, top_k %d, top_p %s", g.temperature(), g.topK(), g.topP())
                : "greedy");
        return 0;
    }

    private static String window(ModelConfig c) {
        int w = Arrays.stream(c.slidingWindow()).max().orElse(0);
        if (w == 0) return "";
        long layers = Arrays.stream(c.slidingWindow()).filter(x -> x > 0).count();
        return ", sliding window " + w + " on " + layers + " of " + c.numHiddenLayers() + " layers";
    }

    static String bytes(long b) {
        return human(b, "B");
    }

    static String human(double v, String unit) {
        String[] prefixes = {"", "K", "M", "G", "T"};
        int i = 0;
        while (v >= 1000 && i < prefixes.length - 1) {
            v /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, i == 0 ? "%.0f %s%s" : "%.2f %s%s", v, prefixes[i], unit).trim();
    }
}
