package absorb.cli;

import absorb.model.Forward;
import absorb.model.HookPoint;
import absorb.model.Intervention;
import absorb.model.Transformer;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The cost of hooks for `absorb bench --hooks`: one forward pass over a batch (no logits: the blocks alone) unhooked,
 * reading every point on the residual stream of every block (resid_pre, attn_out, resid_mid, mlp_out, resid_post: the
 * blocks then run in steps), reading every block's attn.z, reading every block's attn.pattern (explicit attention
 * probabilities instead of the flash kernel), and zero-ablating one head in every block. The variants alternate within
 * each round, because the machine's speed drifts; the medians over the rounds are reported, and each one's ratio to
 * the unhooked pass.
 */
final class HookBench {
    private HookBench() {}

    static void run(Transformer model, int batch, int tokens, int repeats, SplittableRandom random, ObjectNode out) {
        long[][] ids = new long[batch][];
        for (int b = 0; b < batch; b++) ids[b] = random.longs(tokens, 0, model.config().vocabSize()).toArray();
        Map<String, Forward> variants = new LinkedHashMap<>();
        Forward plain = Forward.of(ids).withLogits(Transformer.Logits.NONE);
        variants.put("unhooked", plain);
        variants.put("read_residual_points", plain.withHook(reading(p -> {
            HookPoint.Site s = HookPoint.parse(p, model.layers()).site();
            return s.residualShaped() && s != HookPoint.Site.EMBED && s != HookPoint.Site.FINAL_NORM;
        })));
        variants.put("read_attn_z", plain.withHook(reading(p -> p.endsWith(".attn.z"))));
        variants.put("read_attn_pattern", plain.withHook(reading(p -> p.endsWith(".attn.pattern"))));
        List<Intervention> ablate = new ArrayList<>();
        for (int l = 0; l < model.layers(); l++) ablate.add(Intervention.zero(HookPoint.attnZ(l)).heads(0));
        variants.put("zero_one_head_per_block", plain.withInterventions(ablate));
        Map<String, double[]> times = new LinkedHashMap<>();
        variants.forEach((name, f) -> {
            time(model, f);
            times.put(name, new double[repeats]);
        });
        for (int r = 0; r < repeats; r++) {
            for (Map.Entry<String, Forward> v : variants.entrySet()) times.get(v.getKey())[r] = time(model, v.getValue());
        }
        out.put("hooks_batch", batch);
        out.put("hooks_tokens", tokens);
        double base = median(times.get("unhooked"));
        times.forEach((name, t) -> {
            double m = median(t);
            out.put("hooks_" + name + "_s", Math.round(m * 1000) / 1000.0);
            if (!name.equals("unhooked")) out.put("hooks_" + name + "_over_unhooked", Math.round(m / base * 1000) / 1000.0);
        });
    }

    /** A hook that asks for the points {@code wanted} accepts and reads each one's first value. */
    private static Transformer.ResidualHook reading(Predicate<String> wanted) {
        return new Transformer.ResidualHook() {
            @Override
            public boolean wants(String point) {
                return wanted.test(point);
            }

            @Override
            public void accept(String point, ai.djl.ndarray.NDArray x) {
                x.get("0").toFloatArray(); // ready and on the host, as a reader would need it
            }
        };
    }

    private static double time(Transformer model, Forward f) {
        try (NDManager scope = model.compute().newManager()) {
            long t0 = System.nanoTime();
            model.forward(scope, f).finalHidden().get("0, 0, 0").toFloatArray();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
