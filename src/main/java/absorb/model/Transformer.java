package absorb.model;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder shared by Llama, Qwen2 and Mistral: token embedding, then per block
 * x = x + o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))) with n = RMSNorm(x), and
 * x = x + down_proj(silu(gate_proj(n)) * up_proj(n)) with n = RMSNorm(x), then a final RMSNorm and lm_head.
 * Weights keep transformers' tensor names. The numbers follow transformers' eager implementation step by step.
 */
public final class Transformer implements AutoCloseable {

    /** One decoder block's weights, named as in transformers. */
    public static final class Block {
        public final Linear qProj, kProj, vProj, oProj, gateProj, upProj, downProj;
        public NDArray inputLayernorm, postAttentionLayernorm;
        final int slidingWindow;

        Block(Linear q, Linear k, Linear v, Linear o, Linear gate, Linear up, Linear down, NDArray inputNorm,
                NDArray postNorm, int slidingWindow) {
            this.qProj = q;
            this.kProj = k;
            this.vProj = v;
            this.oProj = o;
            this.gateProj = gate;
            this.upProj = up;
            this.downProj = down;
            this.inputLayernorm = inputNorm;
            this.postAttentionLayernorm = postNorm;
            this.slidingWindow = slidingWindow;
        }

        public List<Linear> projections() {
            return List.of(qProj, kProj, vProj, oProj, gateProj, upProj, downProj);
        }
    }

    /** Receives residual-stream tensors ([batch, seq, hidden]) during a forward pass. */
    public interface ResidualHook {
        /** Whether this point is wanted; points nobody wants are not materialised. */
        boolean wants(String hookPoint);

        /** The tensor lives in the forward pass's scope: copy or reduce what you keep. */
        void accept(String hookPoint, NDArray residual);
    }

    /** Which positions get logits. */
    public enum Logits { ALL, LAST, NONE }

    /**
     * The result of a forward pass, in the caller's scope: {@code logits} [batch, positions, vocab] (null for
     * NONE; one position for LAST) and {@code finalHidden} [batch, seq, hidden] after the final norm.
     */
    public record Output(NDArray logits, NDArray finalHidden) {}

    private final ModelConfig config;
    private final Compute compute;
    private final NDManager manager;
    private NDArray embedTokens;
    private final Block[] blocks;
    private NDArray norm;
    private NDArray lmHead;
    private final float[] invFreq;
    private final float attentionScaling;

    Transformer(ModelConfig config, Compute compute, NDManager manager, Map<String, NDArray> weights) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        this.embedTokens = weights.get("model.embed_tokens.weight");
        this.norm = weights.get("model.norm.weight");
        this.lmHead = config.tieWordEmbeddings() ? embedTokens : weights.get("lm_head.weight");
        this.blocks = new Block[config.numHiddenLayers()];
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.layers." + i + ".";
            blocks[i] = new Block(
                    linear(weights, p + "self_attn.q_proj"), linear(weights, p + "self_attn.k_proj"),
                    linear(weights, p + "self_attn.v_proj"), linear(weights, p + "self_attn.o_proj"),
                    linear(weights, p + "mlp.gate_proj"), linear(weights, p + "mlp.up_proj"),
                    linear(weights, p + "mlp.down_proj"), weights.get(p + "input_layernorm.weight"),
                    weights.get(p + "post_attention_layernorm.weight"), config.slidingWindow()[i]);
        }
        this.invFreq = config.rope().inverseFrequencies(config.headDim());
        this.attentionScaling = 1.0f;
    }

    private static Linear linear(Map<String, NDArray> weights, String name) {
        return new Linear(weights.get(name + ".weight"), weights.get(name + ".bias"));
    }

    /** The tensors a checkpoint of this configuration holds, with their shapes, in transformers' order. */
    public static Map<String, Shape> expectedTensors(ModelConfig c) {
        Map<String, Shape> t = new LinkedHashMap<>();
        long h = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim(), im = c.intermediateSize();
        t.put("model.embed_tokens.weight", new Shape(c.vocabSize(), h));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            t.put(p + "self_attn.q_proj.weight", new Shape(q, h));
            if (c.attentionBias()) t.put(p + "self_attn.q_proj.bias", new Shape(q));
            t.put(p + "self_attn.k_proj.weight", new Shape(kv, h));
            if (c.attentionBias()) t.put(p + "self_attn.k_proj.bias", new Shape(kv));
            t.put(p + "self_attn.v_proj.weight", new Shape(kv, h));
            if (c.attentionBias()) t.put(p + "self_attn.v_proj.bias", new Shape(kv));
            t.put(p + "self_attn.o_proj.weight", new Shape(h, q));
            if (c.outputBias()) t.put(p + "self_attn.o_proj.bias", new Shape(h));
            t.put(p + "mlp.gate_proj.weight", new Shape(im, h));
            if (c.mlpBias()) t.put(p + "mlp.gate_proj.bias", new Shape(im));
            t.put(p + "mlp.up_proj.weight", new Shape(im, h));
            if (c.mlpBias()) t.put(p + "mlp.up_proj.bias", new Shape(im));
            t.put(p + "mlp.down_proj.weight", new Shape(h, im));
            if (c.mlpBias()) t.put(p + "mlp.down_proj.bias", new Shape(h));
            t.put(p + "input_layernorm.weight", new Shape(h));
            t.put(p + "post_attention_layernorm.weight", new Shape(h));
        }
        t.put("model.norm.weight", new Shape(h));
        if (!c.tieWordEmbeddings()) t.put("lm_head.weight", new Shape(c.vocabSize(), h));
        return t;
    }

    /** A model with random weights (normal, std 0.02; norms 1), for benchmarks and tests. */
    public static Transformer random(ModelConfig config, Compute compute, long seed) {
        NDManager manager = compute.newManager();
        try {
            ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed((int) seed);
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (Map.Entry<String, Shape> e : expectedTensors(config).entrySet()) {
                NDArray w = e.getKey().endsWith("norm.weight") || e.getKey().endsWith("layernorm.weight")
                        ? Compute.cast(manager.ones(e.getValue(), DataType.FLOAT32), compute.dtype())
                        : Compute.cast(manager.randomNormal(0f, 0.02f, e.getValue(), DataType.FLOAT32), compute.dtype());
                weights.put(e.getKey(), w);
            }
            return new Transformer(config, compute, manager, weights);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Builds a model from loaded tensors (already checked against {@link #expectedTensors}). */
    static Transformer of(ModelConfig config, Compute compute, NDManager manager, Map<String, NDArray> weights) {
        return new Transformer(config, compute, manager, weights);
    }

    public ModelConfig config() {
        return config;
    }

    public Compute compute() {
        return compute;
    }

    public NDManager manager() {
        return manager;
    }

    public Block block(int i) {
        return blocks[i];
    }

    public int layers() {
        return blocks.length;
    }

    /** Every weight by its transformers name (lm_head omitted when tied). */
    public Map<String, NDArray> namedWeights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embedTokens);
        String[] names = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.layers." + i + ".";
            List<Linear> lin = blocks[i].projections();
            for (int j = 0; j < names.length; j++) {
                out.put(p + names[j] + ".weight", lin.get(j).weight());
                if (lin.get(j).bias() != null) out.put(p + names[j] + ".bias", lin.get(j).bias());
            }
            out.put(p + "input_layernorm.weight", blocks[i].inputLayernorm);
            out.put(p + "post_attention_layernorm.weight", blocks[i].postAttentionLayernorm);
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead);
        return out;
    }

    /**
     * Runs the model on {@code tokenIds} [batch][seq] with {@code mask} [batch][seq] (true = real token, false =
     * padding, on either side). Positions count real tokens only (as transformers' generate does), continuing from
     * {@code cache} when given, which this call extends. Every tensor it makes lives in {@code scope}.
     */
    public Output forward(NDManager scope, long[][] tokenIds, boolean[][] paddingMask, KvCache cache,
            ResidualHook hook, Logits logits) {
        int batch = tokenIds.length, seq = tokenIds[0].length;
        boolean[][] mask = paddingMask != null ? paddingMask : allTrue(batch, seq);
        int past = cache == null ? 0 : cache.length();
        int[][] positions = positions(mask, cache);
        NDArray ids = scope.create(flatten(tokenIds), new Shape(batch, seq));
        NDArray x = ids.getNDArrayInternal().embedding(ids, embedTokens, SparseFormat.DENSE).singletonOrThrow();
        if (hook != null && hook.wants(HookPoint.EMBED)) hook.accept(HookPoint.EMBED, x);

        NDArray[] rope = rotaryTables(scope, positions);
        Map<Integer, NDArray> masks = new LinkedHashMap<>();
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            NDArray attnMask = masks.computeIfAbsent(b.slidingWindow,
                    w -> attentionMask(scope, mask, cache, past, seq, w));
            x = block(b, i, x, rope[0], rope[1], attnMask, cache);
            if (hook != null && hook.wants(HookPoint.residPost(i))) hook.accept(HookPoint.residPost(i), x);
        }
        if (cache != null) cache.advance(mask);
        NDArray h = rmsNorm(x, norm);
        if (hook != null && hook.wants(HookPoint.FINAL_NORM)) hook.accept(HookPoint.FINAL_NORM, h);
        NDArray out = switch (logits) {
            case ALL -> lmHead(h);
            case LAST -> lmHead(h.get(":, -1:, :"));
            case NONE -> null;
        };
        return new Output(out, h);
    }

    /** Logits for final-norm hidden states [..., hidden]: lm_head (the embedding when tied), in float32. */
    public NDArray lmHead(NDArray hidden) {
        NDArray out = hidden.getNDArrayInternal().linear(hidden, lmHead, null).singletonOrThrow();
        return Compute.cast(out, DataType.FLOAT32);
    }

    private NDArray block(Block b, int layer, NDArray x, NDArray cos, NDArray sin, NDArray attnMask, KvCache cache) {
        NDArray attn = attention(b, layer, rmsNorm(x, b.inputLayernorm), cos, sin, attnMask, cache);
        x = x.add(attn);
        NDArray n = rmsNorm(x, b.postAttentionLayernorm);
        NDArray gate = b.gateProj.apply(n);
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid());
        return x.add(b.downProj.apply(act.mul(b.upProj.apply(n))));
    }

    /** RMSNorm: w * (x / sqrt(mean(x^2) + eps)), computed in float32 and cast back, as transformers does. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        DataType in = Compute.dtypeOf(x);
        NDArray xf = Compute.cast(x, DataType.FLOAT32);
        NDArray variance = xf.square().mean(new int[] {-1}, true);
        NDArray normed = xf.mul(variance.add(config.rmsNormEps()).pow(-0.5));
        return Compute.cast(normed, in).mul(weight);
    }

    private NDArray attention(Block b, int layer, NDArray h, NDArray cos, NDArray sin, NDArray attnMask,
            KvCache cache) {
        long batch = h.getShape().get(0), seq = h.getShape().get(1);
        int heads = config.numAttentionHeads(), kvHeads = config.numKeyValueHeads(), d = config.headDim();
        NDArray q = b.qProj.apply(h).reshape(batch, seq, heads, d).transpose(0, 2, 1, 3);
        NDArray k = b.kProj.apply(h).reshape(batch, seq, kvHeads, d).transpose(0, 2, 1, 3);
        NDArray v = b.vProj.apply(h).reshape(batch, seq, kvHeads, d).transpose(0, 2, 1, 3);
        q = applyRotary(q, cos, sin);
        k = applyRotary(k, cos, sin);
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        long keys = k.getShape().get(2);
        int groups = heads / kvHeads;
        // Grouped-query attention without copying keys: queries [B, kv, groups, T, d] against keys [B, kv, 1, S, d].
        NDArray q5 = q.reshape(batch, kvHeads, groups, seq, d);
        NDArray k5 = k.expandDims(2);
        NDArray v5 = v.expandDims(2);
        NDArray scores = q5.matMul(k5.transpose(0, 1, 2, 4, 3)).mul(Math.pow(d, -0.5));
        if (attnMask != null) scores = scores.add(attnMask);
        DataType dtype = Compute.dtypeOf(scores);
        NDArray probs = Compute.cast(Compute.cast(scores, DataType.FLOAT32).softmax(-1), dtype);
        NDArray out = probs.matMul(v5).reshape(batch, heads, seq, d).transpose(0, 2, 1, 3)
                .reshape(batch, seq, (long) heads * d);
        return b.oProj.apply(out);
    }

    /** x * cos + rotate_half(x) * sin, with rotate_half(x) = [-x2, x1] over the two halves of head_dim. */
    private static NDArray applyRotary(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /**
     * cos and sin of position * inv_freq, duplicated over both halves of head_dim, as [batch, 1, seq, head_dim]
     * in the compute dtype. The angle is one float32 product, as in transformers.
     */
    private NDArray[] rotaryTables(NDManager scope, int[][] positions) {
        int batch = positions.length, seq = positions[0].length, d = config.headDim(), half = d / 2;
        float[] cos = new float[batch * seq * d];
        float[] sin = new float[batch * seq * d];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int base = (b * seq + t) * d;
                float p = positions[b][t];
                for (int i = 0; i < half; i++) {
                    float angle = invFreq[i] * p;
                    float c = (float) Math.cos(angle) * attentionScaling, s = (float) Math.sin(angle) * attentionScaling;
                    cos[base + i] = c;
                    cos[base + half + i] = c;
                    sin[base + i] = s;
                    sin[base + half + i] = s;
                }
            }
        }
        Shape shape = new Shape(batch, 1, seq, d);
        return new NDArray[] {Compute.cast(scope.create(cos, shape), compute.dtype()),
            Compute.cast(scope.create(sin, shape), compute.dtype())};
    }

    /**
     * The additive mask [batch, 1, 1, seq, keys]: 0 where query t may see key s (s is a real token, not in the
     * future, and within the sliding window when the layer has one), the dtype's lowest value elsewhere. Null when
     * nothing is masked (one new token, no padding, no window), which saves the addition.
     */
    private NDArray attentionMask(NDManager scope, boolean[][] mask, KvCache cache, int past, int seq, int window) {
        int batch = mask.length, keys = past + seq;
        boolean[][] keyMask = new boolean[batch][];
        boolean anyMasked = false;
        for (int b = 0; b < batch; b++) {
            boolean[] row = new boolean[keys];
            if (cache != null) System.arraycopy(cache.keyMask()[b], 0, row, 0, past);
            System.arraycopy(mask[b], 0, row, past, seq);
            for (boolean m : row) anyMasked |= !m;
            keyMask[b] = row;
        }
        if (seq == 1 && !anyMasked && (window == 0 || window >= keys)) return null;
        float low = lowest(compute.dtype());
        float[] m = new float[batch * seq * keys];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int q = past + t, base = (b * seq + t) * keys;
                for (int s = 0; s < keys; s++) {
                    boolean visible = keyMask[b][s] && s <= q && (window == 0 || s > q - window);
                    m[base + s] = visible ? 0f : low;
                }
            }
        }
        return Compute.cast(scope.create(m, new Shape(batch, 1, 1, seq, keys)), compute.dtype());
    }

    private static float lowest(DataType t) {
        return switch (t) {
            case FLOAT16 -> -65504f;
            case BFLOAT16 -> Float.intBitsToFloat(0xff7f0000); // bfloat16's lowest finite value
            default -> -Float.MAX_VALUE;
        };
    }

    /** Position of each token: the count of real tokens before it in its row (padding gets 0). */
    static int[][] positions(boolean[][] mask, KvCache cache) {
        int[][] pos = new int[mask.length][mask[0].length];
        for (int b = 0; b < mask.length; b++) {
            int seen = cache == null ? 0 : cache.realTokens(b);
            for (int t = 0; t < mask[b].length; t++) {
                pos[b][t] = mask[b][t] ? seen++ : 0;
            }
        }
        return pos;
    }

    private static boolean[][] allTrue(int batch, int seq) {
        boolean[][] m = new boolean[batch][seq];
        for (boolean[] row : m) java.util.Arrays.fill(row, true);
        return m;
    }

    private static long[] flatten(long[][] ids) {
        int seq = ids[0].length;
        long[] flat = new long[ids.length * seq];
        for (int b = 0; b < ids.length; b++) {
            if (ids[b].length != seq) throw new AbsorbException("All rows of a batch must have the same length.");
            System.arraycopy(ids[b], 0, flat, b * seq, seq);
        }
        return flat;
    }

    /** Swaps the embedding (and lm_head when tied); used when training replaces tensors. */
    public void replaceWeights(Map<String, NDArray> weights) {
        weights.forEach((name, w) -> {
            if (name.equals("model.embed_tokens.weight")) {
                embedTokens = w;
                if (config.tieWordEmbeddings()) lmHead = w;
            } else if (name.equals("lm_head.weight")) {
                lmHead = w;
            } else if (name.equals("model.norm.weight")) {
                norm = w;
            } else {
                replaceBlockWeight(name, w);
            }
        });
    }

    private void replaceBlockWeight(String name, NDArray w) {
        String rest = name.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        Block b = blocks[Integer.parseInt(rest.substring(0, dot))];
        String local = rest.substring(dot + 1);
        switch (local) {
            case "input_layernorm.weight" -> b.inputLayernorm = w;
            case "post_attention_layernorm.weight" -> b.postAttentionLayernorm = w;
            default -> {
                List<String> names = List.of("self_attn.q_proj.weight", "self_attn.k_proj.weight",
                        "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight",
                        "mlp.up_proj.weight", "mlp.down_proj.weight");
                int j = names.indexOf(local);
                if (j < 0) throw new IllegalArgumentException("no weight " + name);
                b.projections().get(j).setWeight(w);
            }
        }
    }

    /** The tensors whose values changing changes the model, as a list (for optimizers and gradients). */
    public List<NDArray> weights() {
        return new ArrayList<>(namedWeights().values());
    }

    @Override
    public void close() {
        manager.close();
    }
}
