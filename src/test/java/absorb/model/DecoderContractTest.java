package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.runtime.TorchScript;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The decoder kernel reads each block's tensors by name: the names Java hands it and the names the script reads must
 * be the same set, or a weight would be ignored (or looked for in vain) without a compile error anywhere.
 */
class DecoderContractTest {
    /** What a projection's tensors are called after its module name (see decoder.py). */
    private static final Pattern SUFFIX = Pattern.compile("\\.(weight\\.T|weight|bias|lora_A\\.weight|lora_B\\.weight)$");

    @Test
    void javaAndTheScriptNameTheSameTensors() throws Exception {
        Set<String> javaNames = new TreeSet<>(), javaSuffixes = new TreeSet<>();
        // every variant: biases everywhere, adapters on every projection, fused and apart, wide and narrow layouts
        ModelConfig c = ModelConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 16, "intermediate_size": 48,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 40,
                 "attention_bias": true, "mlp_bias": true, "max_position_embeddings": 64}"""), "test config");
        try (Transformer t = Transformer.random(c, Compute.CPU_FLOAT32, 1)) {
            collect(t.block(0), javaNames, javaSuffixes);
            LoraAdapter.attachNew(t, LoraAdapter.Config.of(2, 4, 0, LoraAdapter.TARGETS), 1);
            t.prepareForTraining();
            collect(t.block(0), javaNames, javaSuffixes);
        }
        String script = TorchScript.load("absorb/model/decoder.py").translatedSource();
        Set<String> scriptNames = new TreeSet<>();
        Matcher m = Pattern.compile("\"((?:self_attn|mlp)\\.\\w+|\\w+_layernorm\\.weight)\"").matcher(script);
        while (m.find()) scriptNames.add(m.group(1));
        assertEquals(javaNames, scriptNames, "tensor names Java provides vs names decoder.py reads");
        for (String suffix : javaSuffixes) {
            assertTrue(script.contains("name + \"." + suffix + "\""), "decoder.py reads NAME." + suffix);
        }
        assertEquals(5, javaSuffixes.size(), javaSuffixes.toString());
    }

    private static void collect(Block b, Set<String> names, Set<String> suffixes) {
        for (String key : b.kernelWeights().keySet()) {
            Matcher m = SUFFIX.matcher(key);
            if (key.endsWith("_layernorm.weight")) {
                names.add(key);
            } else {
                assertTrue(m.find(), key);
                names.add(key.substring(0, m.start()));
                suffixes.add(m.group(1));
            }
        }
    }
}
