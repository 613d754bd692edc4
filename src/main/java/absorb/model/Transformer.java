package absorb.model;

import absorb.AbsorbException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * The decoder shared by Llama, Qwen2 and Mistral: token embedding, then per block
 * x = x + o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))) with n = RMSNorm(x), and
 * x = x + down_proj(silu(gate_proj(n)) * up_proj(n)) with n = RMSNorm(x), then a final RMSNorm and lm_head.
 * Weights keep transformers' tensor names; the numbers follow transformers step by step. The block itself runs as
 * one call into {@link TorchKernels} (its equations are there, in TorchScript); this class prepares what the
 * blocks share (positions, rotary tables, attention masks) and keeps the weights, caches and hooks.
 */
public final class Transformer implements AutoCloseable {

    /** One decoder block's weights, named as in transformers. */
    public static final class Block {
        public final Linear qProj, kProj, vProj, oProj, gateProj, upProj, downProj;
        private NDArray inputLayernorm, postAttentionLayernorm;
        final int slidingWindow;
        private Transformer owner;
        /** The fused q/k/v and gate/up tensors, whose views the projections hold (null when they are apart). */
        private NDArray qkvWeight, qkvBias, gateUpWeight, gateUpBias;

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

        /** q, k, v, o, gate, up, down: the order the block kernel expects. */
        public List<Linear> projections() {
            return List.of(qProj, kProj, vProj, oProj, gateProj, upProj, downProj);
        }

        public NDArray inputLayernorm() {
            return inputLayernorm;
        }

        public NDArray postAttentionLayernorm() {
            return postAttentionLayernorm;
        }

        /** Call after replacing weights or adapters: the kernel's lists are rebuilt on the next forward pass. */
        public void invalidate() {
            if (owner != null) owner.closeKernelLists();
        }
    }

    /** Receives residual-stream tensors ([batch, seq, hidden]) during a forward pass. */
    public interface ResidualHook {
        /** Whether this point is wanted; points nobody wants are not materialised. */
        boolean wants(String hookPoint);

        /** The tensor lives in the forward pass's scope: copy or reduce what you keep. */
        void accept(String hookPoint, NDArray residual);

        /** A hook that copies every hook point's residual, as float32, into {@code into} (hook point -> values). */
        static ResidualHook collectAll(Map<String, float[]> into) {
            return new ResidualHook() {
                @Override
                public boolean wants(String hookPoint) {
                    return true;
                }

                @Override
                public void accept(String hookPoint, NDArray residual) {
                    into.put(hookPoint, Compute.cast(residual, DataType.FLOAT32).toFloatArray());
                }
            };
        }
    }

    /** Which positions get logits. */
    public enum Logits { ALL, LAST, NONE }

    /**
     * The result of a forward pass, in the caller's scope: {@code logits} [batch, positions, vocab] in float32 (null
     * for NONE; one position for LAST) and {@code finalHidden} [batch, seq, hidden] after the final norm (for LAST,
     * unless a hook asks for the last block's or the final norm's residuals, only the last position: the last block
     * then computes no other).
     */
    public record Output(NDArray logits, NDArray finalHidden) {}

    private final ModelConfig config;
    private final Compute compute;
    private final NDManager manager;
    /** The embedding table [vocab, hidden]; null when tied, then lm_head's weight serves. */
    private final NDArray embedTokens;
    private final Block[] blocks;
    private final NDArray norm;
    private final Linear lmHead;
    private final float[] invFreq;
    /** Stands for an absent tensor in kernel calls. */
    private final NDArray empty;
    private final IValue shape;
    /** Arguments every kernel call repeats, made once: flags, epsilon, dropout. */
    private final IValue trueValue, falseValue, epsValue;
    private IValue dropoutValue, trainingValue;
    /** Every block's weights, layouts, adapters and scalings, one block after the other, as the kernel takes them. */
    private IValue weightList, transposedList, loraList, scalingList;

    /**
     * @param weights each tensor by transformers name (null for one the model lacks), asked for once, in the order of
     *     {@link #expectedTensors}; those in {@link #readTransposed} may already be [in, out] (then
     *     {@code preTransposed} names them). A block's projections are fused (see {@link #fuse}) as soon as the block
     *     is built, so the separate tensors of one block at most are alive beside the fused ones.
     */
    Transformer(ModelConfig config, Compute compute, NDManager manager, Function<String, NDArray> weights,
            Set<String> preTransposed) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        NDArray embed = weights.apply("model.embed_tokens.weight");
        this.blocks = new Block[config.numHiddenLayers()];
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.layers." + i + ".";
            blocks[i] = new Block(
                    linear(weights, p + "self_attn.q_proj", preTransposed),
                    linear(weights, p + "self_attn.k_proj", preTransposed),
                    linear(weights, p + "self_attn.v_proj", preTransposed),
                    linear(weights, p + "self_attn.o_proj", preTransposed),
                    linear(weights, p + "mlp.gate_proj", preTransposed), linear(weights, p + "mlp.up_proj", preTransposed),
                    linear(weights, p + "mlp.down_proj", preTransposed), weights.apply(p + "input_layernorm.weight"),
                    weights.apply(p + "post_attention_layernorm.weight"), config.slidingWindow()[i]);
            blocks[i].owner = this;
            fuse(blocks[i]);
        }
        this.norm = weights.apply("model.norm.weight");
        this.embedTokens = config.tieWordEmbeddings() ? null : embed;
        String head = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        NDArray headWeight = config.tieWordEmbeddings() ? embed : weights.apply(head);
        this.lmHead = preTransposed.contains(head) ? Linear.ofTransposed(headWeight, null) : new Linear(headWeight, null);
        this.invFreq = config.rope().inverseFrequencies(config.headDim());
        this.empty = manager.create(new float[0]);
        this.shape = IValue.listFrom(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
        this.trueValue = IValue.from(true);
        this.falseValue = IValue.from(false);
        this.epsValue = IValue.from(config.rmsNormEps());
        this.dropoutValue = IValue.from(0.0);
        this.trainingValue = falseValue;
    }

    private static Linear linear(Function<String, NDArray> weights, String name, Set<String> preTransposed) {
        NDArray w = weights.apply(name + ".weight"), b = weights.apply(name + ".bias");
        return preTransposed.contains(name + ".weight") ? Linear.ofTransposed(w, b) : new Linear(w, b);
    }

    /**
     * The checkpoint tensors that this model keeps transposed, [in, out] (the wide projections, see {@link Linear}):
     * a loader may read them straight into that layout.
     */
    public static Set<String> readTransposed(ModelConfig c) {
        Set<String> out = new LinkedHashSet<>();
        for (Map.Entry<String, Shape> e : expectedTensors(c).entrySet()) {
            String n = e.getKey();
            boolean projection = n.endsWith("_proj.weight") || n.equals("lm_head.weight")
                    || (n.equals("model.embed_tokens.weight") && c.tieWordEmbeddings());
            if (projection && Linear.prefersTransposed(e.getValue().get(0), e.getValue().get(1))) out.add(n);
        }
        return out;
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
            Engine.getEngine("PyTorch").setRandomSeed((int) seed);
            Set<String> wide = readTransposed(config), made = new LinkedHashSet<>();
            Map<String, Shape> expected = expectedTensors(config);
            // Large wide tensors are drawn in the layout the model keeps, so that no transposed copy of them is ever
            // made (the peak memory of building the model stays at its size). Smaller ones are drawn as [out, in],
            // which keeps the weights of small seeded models as they were.
            expected.forEach((name, s) -> {
                if (wide.contains(name) && s.size() >= (1L << 24)) made.add(name);
            });
            // Drawn when the model asks for them (in this order), so that a block's tensors are fused before the next
            // block's are drawn.
            java.util.Iterator<Map.Entry<String, Shape>> next = expected.entrySet().iterator();
            Function<String, NDArray> draw = name -> {
                if (!expected.containsKey(name)) return null;
                Map.Entry<String, Shape> e = next.next();
                if (!e.getKey().equals(name)) throw new IllegalStateException("asked for " + name + " before " + e.getKey());
                Shape s = e.getValue();
                NDArray w = name.endsWith("norm.weight")
                        ? manager.ones(s, DataType.FLOAT32)
                        : manager.randomNormal(0f, 0.02f, made.contains(name) ? new Shape(s.get(1), s.get(0)) : s,
                                DataType.FLOAT32);
                return toCompute(w, compute, manager);
            };
            return new Transformer(config, compute, manager, draw, made);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static NDArray toCompute(NDArray w, Compute compute, NDManager manager) {
        NDArray c = Compute.cast(w, compute.dtype());
        if (c != w) {
            c.attach(manager);
            w.close();
        }
        return c;
    }

    /** Builds a model from loaded tensors (already checked against {@link #expectedTensors}). */
    static Transformer of(ModelConfig config, Compute compute, NDManager manager, Function<String, NDArray> weights,
            Set<String> preTransposed) {
        return new Transformer(config, compute, manager, weights, preTransposed);
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

    public NDArray finalNorm() {
        return norm;
    }

    public Linear lmHeadProjection() {
        return lmHead;
    }

    /** Dropout (on adapter inputs) applies only while training. */
    public void setTraining(boolean training, double dropout) {
        dropoutValue.close();
        dropoutValue = IValue.from(dropout);
        trainingValue = training ? trueValue : falseValue;
    }

    /** Every weight by its transformers name, [out, in] for projections (views in {@code scope}; lm_head omitted when tied). */
    public Map<String, NDArray> namedWeights(NDManager scope) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", embeddingTable(scope));
        String[] names = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.layers." + i + ".";
            List<Linear> lin = blocks[i].projections();
            for (int j = 0; j < names.length; j++) {
                out.put(p + names[j] + ".weight", lin.get(j).weight(scope));
                if (lin.get(j).bias() != null) out.put(p + names[j] + ".bias", lin.get(j).bias());
            }
            out.put(p + "input_layernorm.weight", blocks[i].inputLayernorm);
            out.put(p + "post_attention_layernorm.weight", blocks[i].postAttentionLayernorm);
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead.weight(scope));
        return out;
    }

    /**
     * The tensors training updates, by transformers name, as stored: projections that {@link Linear} keeps
     * transposed appear as [in, out] (their {@link #namedWeights} entry is the [out, in] view). With tied
     * embeddings the one table is listed once, as model.embed_tokens.weight, stored [hidden, vocab].
     */
    public Map<String, NDArray> parameters() {
        // training updates each tensor in place, in memory of its own
        unfuse();
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", config.tieWordEmbeddings() ? lmHead.storedWeight() : embedTokens);
        String[] names = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        for (int i = 0; i < blocks.length; i++) {
            String p = "model.layers." + i + ".";
            List<Linear> lin = blocks[i].projections();
            out.put(p + "input_layernorm.weight", blocks[i].inputLayernorm);
            for (int j = 0; j < names.length; j++) {
                out.put(p + names[j] + ".weight", lin.get(j).storedWeight());
                if (lin.get(j).bias() != null) out.put(p + names[j] + ".bias", lin.get(j).bias());
                if (j == 3) out.put(p + "post_attention_layernorm.weight", blocks[i].postAttentionLayernorm);
            }
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead.storedWeight());
        return out;
    }

    /** Whether parameter {@code name} of {@link #parameters()} is stored transposed ([in, out]). */
    public boolean storedTransposed(String name) {
        if (name.equals("model.embed_tokens.weight")) return config.tieWordEmbeddings() && lmHead.isTransposed();
        if (name.equals("lm_head.weight")) return lmHead.isTransposed();
        if (!name.startsWith("model.layers.") || !name.endsWith("_proj.weight")) return false;
        String rest = name.substring("model.layers.".length());
        Block b = blocks[Integer.parseInt(rest.substring(0, rest.indexOf('.')))];
        String proj = rest.substring(rest.lastIndexOf('.', rest.length() - 8) + 1, rest.length() - 7);
        return b.projections().get(LoraAdapter.TARGETS.indexOf(proj)).isTransposed();
    }

    /**
     * Runs the model on {@code tokenIds} [batch][seq] with {@code paddingMask} [batch][seq] (true = real token,
     * false = padding, on either side; null = no padding). Positions count real tokens only (as transformers'
     * generate does), continuing from {@code cache} when given, which this call extends. Every tensor it makes
     * lives in {@code scope}.
     */
    public Output forward(NDManager scope, long[][] tokenIds, boolean[][] paddingMask, KvCache cache,
            ResidualHook hook, Logits logits) {
        return forward(scope, tokenIds, paddingMask, null, cache, hook, logits);
    }

    /**
     * As above, for rows that pack several sequences: {@code segments} [batch][seq] numbers the sequence each token
     * belongs to. A token sees only earlier tokens of its own sequence, and positions restart at each sequence, so
     * a packed row computes exactly what its sequences would alone. (No cache with packing.)
     */
    public Output forward(NDManager scope, long[][] tokenIds, boolean[][] paddingMask, int[][] segments,
            KvCache cache, ResidualHook hook, Logits logits) {
        return forward(scope, tokenIds, paddingMask, segments, cache, hook, logits, null);
    }

    /**
     * As above, starting from {@code inputEmbeds} [batch, seq, hidden], the embeddings of {@code tokenIds} made by
     * the caller (training makes them outside autograd, see CausalLmLoss), or from the lookup when null.
     */
    public Output forward(NDManager scope, long[][] tokenIds, boolean[][] paddingMask, int[][] segments,
            KvCache cache, ResidualHook hook, Logits logits, NDArray inputEmbeds) {
        int batch = tokenIds.length, seq = tokenIds[0].length;
        boolean[][] mask = paddingMask != null ? paddingMask : allTrue(batch, seq);
        if (segments != null && cache != null) throw new IllegalArgumentException("packed rows take no cache");
        int past = cache == null ? 0 : cache.length();
        int[][] positions = segments != null ? segmentPositions(mask, segments) : positions(mask, cache);
        NDArray x = inputEmbeds;
        if (x == null) {
            NDArray ids = scope.create(flatten(tokenIds), new Shape(batch, seq));
            x = embedTokens != null ? TorchKernels.embedding(scope, ids, embedTokens, false)
                    : TorchKernels.embedding(scope, ids, lmHead.storedWeight(), lmHead.isTransposed());
        }
        if (hook != null && hook.wants(HookPoint.EMBED)) hook.accept(HookPoint.EMBED, x);
        NDArray[] rope = rotaryTables(scope, positions);
        // each block's mask (one per sliding window), as the kernel takes them: the additive tensor or an empty one,
        // and whether the keys are plainly causal
        Map<Integer, Mask> byWindow = new LinkedHashMap<>();
        PtNDArray[] additive = new PtNDArray[blocks.length];
        boolean[] causal = new boolean[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            Mask m = byWindow.computeIfAbsent(blocks[i].slidingWindow,
                    w -> attentionMask(scope, mask, segments, cache, past, seq, w));
            additive[i] = (PtNDArray) (m.additive() != null ? m.additive() : empty);
            causal[i] = m.causal();
        }
        // The blocks run in one kernel call between the residuals a hook asks for (all at once without hooks); for
        // next-token logits alone, the last block computes only the last position.
        boolean[] wanted = new boolean[blocks.length];
        for (int i = 0; hook != null && i < blocks.length; i++) wanted[i] = hook.wants(HookPoint.residPost(i));
        boolean finalHook = hook != null && hook.wants(HookPoint.FINAL_NORM);
        boolean lastOnly = logits == Logits.LAST && !finalHook && !wanted[blocks.length - 1];
        try (IValue masks = IValue.listFrom(additive); IValue causalMasks = IValue.listFrom(causal);
                KvCache none = cache == null ? new KvCache(scope, blocks.length, batch) : null) {
            KvCache kv = cache != null ? cache : none;
            for (int first = 0, end; first < blocks.length; first = end) {
                end = first + 1;
                while (end < blocks.length && !wanted[end - 1]) end++;
                x = layers(scope, x, rope, masks, causalMasks, kv, first, end, lastOnly && end == blocks.length);
                if (wanted[end - 1]) hook.accept(HookPoint.residPost(end - 1), x);
            }
        }
        if (cache != null) cache.advance(mask);
        if (lastOnly) {
            NDArray[] last = TorchKernels.tuple(TorchKernels.run("last_logits", x, norm, epsValue, lmHead.storedWeight(),
                    lmHead.isTransposed() ? trueValue : falseValue), scope);
            return new Output(last[1], last[0]);
        }
        NDArray h = TorchKernels.rmsNorm(x, norm, config.rmsNormEps());
        if (finalHook) hook.accept(HookPoint.FINAL_NORM, h);
        NDArray out = switch (logits) {
            case ALL -> lmHead(h);
            case LAST -> lmHead(h.get(":, -1:, :"));
            case NONE -> null;
        };
        return new Output(out, h);
    }

    /**
     * Blocks {@code first} to {@code end - 1} through {@link TorchKernels} in one call, extending {@code cache};
     * returns the new residual (only the last position's with {@code lastOnly}).
     */
    private NDArray layers(NDManager scope, NDArray x, NDArray[] rope, IValue masks, IValue causalMasks, KvCache cache,
            int first, int end, boolean lastOnly) {
        makeKernelLists();
        return TorchKernels.tensor(TorchKernels.run("layers", x, rope[0], rope[1], masks, causalMasks, cache.keys(),
                cache.values(), first, end, lastOnly, weightList, transposedList, loraList, scalingList, shape, epsValue,
                dropoutValue, trainingValue), scope);
    }

    /** Logits for final-norm hidden states [..., hidden]: lm_head (the embedding when tied), in float32. */
    public NDArray lmHead(NDArray hidden) {
        return Compute.cast(lmHead.apply(hidden), DataType.FLOAT32);
    }

    /** [vocab, hidden]: the embedding, or with tied embeddings a view of lm_head's weight. */
    private NDArray embeddingTable(NDManager scope) {
        return embedTokens != null ? embedTokens : lmHead.weight(scope);
    }

    /**
     * cos and sin of position * inv_freq over the two halves of head_dim (the sine negated in the first half, see
     * applyRotary), as [batch, 1, seq, head_dim] in the compute dtype. The angle is one float32 product, as in
     * transformers.
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
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    cos[base + i] = c;
                    cos[base + half + i] = c;
                    sin[base + i] = -s;
                    sin[base + half + i] = s;
                }
            }
        }
        Shape shape = new Shape(batch, 1, seq, d);
        return new NDArray[] {Compute.cast(scope.create(cos, shape), compute.dtype()),
            Compute.cast(scope.create(sin, shape), compute.dtype())};
    }

    /** Which keys each query sees: an additive mask [batch, 1, seq, keys], or (null) plain causal or all keys. */
    private record Mask(NDArray additive, boolean causal) {}

    /**
     * 0 where query t may see key s (s is a real token, not in the future, and within the sliding window when the
     * layer has one), the dtype's lowest value elsewhere. Without padding or a window, no tensor is built: a fresh
     * sequence is plainly causal, and one new token sees every key.
     */
    private Mask attentionMask(NDManager scope, boolean[][] mask, int[][] segments, KvCache cache, int past, int seq,
            int window) {
        int batch = mask.length, keys = past + seq;
        boolean[][] keyMask = new boolean[batch][];
        boolean padded = false;
        for (int b = 0; b < batch; b++) {
            boolean[] row = new boolean[keys];
            if (cache != null) System.arraycopy(cache.keyMask()[b], 0, row, 0, past);
            System.arraycopy(mask[b], 0, row, past, seq);
            for (boolean m : row) padded |= !m;
            keyMask[b] = row;
        }
        boolean windowed = window > 0 && window < keys;
        if (!padded && !windowed && past == 0 && segments == null) return new Mask(null, true);
        if (!padded && !windowed && seq == 1) return new Mask(null, false);
        float low = lowest(compute.dtype());
        float[] m = new float[batch * seq * keys];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int q = past + t, base = (b * seq + t) * keys;
                for (int s = 0; s < keys; s++) {
                    boolean visible = keyMask[b][s] && s <= q && (window == 0 || s > q - window)
                            && (segments == null || segments[b][s] == segments[b][t]);
                    m[base + s] = visible ? 0f : low;
                }
            }
        }
        return new Mask(Compute.cast(scope.create(m, new Shape(batch, 1, seq, keys)), compute.dtype()), false);
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

    /** Positions that restart at 0 where the segment number changes (padding gets 0). */
    static int[][] segmentPositions(boolean[][] mask, int[][] segments) {
        int[][] pos = new int[mask.length][mask[0].length];
        for (int b = 0; b < mask.length; b++) {
            int seen = 0;
            for (int t = 0; t < mask[b].length; t++) {
                if (t > 0 && segments[b][t] != segments[b][t - 1]) seen = 0;
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

    /**
     * The block kernel's lists for all blocks: per block the input norm, (weight, bias) of q, k, v, o, the post
     * norm, (weight, bias) of gate, up, down, (weight, bias) of the fused q/k/v and of the fused gate/up (20 tensors;
     * empty where absent); whether each projection and each fused weight is stored transposed (9); each projection's
     * adapter (A, B) or empty tensors (14); each adapter's scaling (7).
     */
    private void makeKernelLists() {
        if (weightList != null) return;
        List<NDArray> w = new ArrayList<>(), lora = new ArrayList<>();
        boolean[] transposed = new boolean[9 * blocks.length];
        double[] scaling = new double[7 * blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            w.add(blocks[i].inputLayernorm);
            List<Linear> p = blocks[i].projections();
            for (int j = 0; j < p.size(); j++) {
                Linear l = p.get(j);
                w.add(l.storedWeight());
                w.add(l.bias() != null ? l.bias() : empty);
                if (j == 3) w.add(blocks[i].postAttentionLayernorm);
                transposed[9 * i + j] = l.isTransposed();
                scaling[7 * i + j] = l.loraScaling();
                lora.add(l.hasAdapter() ? l.loraA() : empty);
                lora.add(l.hasAdapter() ? l.loraB() : empty);
            }
            Block b = blocks[i];
            for (NDArray f : new NDArray[] {b.qkvWeight, b.qkvBias, b.gateUpWeight, b.gateUpBias}) {
                w.add(f != null ? f : empty);
            }
            transposed[9 * i + 7] = b.qProj.isTransposed();
            transposed[9 * i + 8] = b.gateProj.isTransposed();
        }
        weightList = IValue.listFrom(w.toArray(PtNDArray[]::new));
        transposedList = IValue.listFrom(transposed);
        loraList = IValue.listFrom(lora.toArray(PtNDArray[]::new));
        scalingList = IValue.listFrom(scaling);
    }

    /**
     * Puts the block's q, k and v side by side in one tensor, and gate and up in another, and makes the projections
     * views of them, so that the block computes them in one product each (for one token at a time, fewer and larger
     * reads of memory). The separate tensors are freed. Projections with adapters still run apart, on the views.
     * Undone, each projection getting memory of its own again, when training asks for the parameters.
     */
    private void fuse(Block b) {
        NDArray[] qkv = fuse(List.of(b.qProj, b.kProj, b.vProj));
        if (qkv != null) {
            b.qkvWeight = qkv[0];
            b.qkvBias = qkv[1];
        }
        NDArray[] gateUp = fuse(List.of(b.gateProj, b.upProj));
        if (gateUp != null) {
            b.gateUpWeight = gateUp[0];
            b.gateUpBias = gateUp[1];
        }
    }

    /** The fused weight and bias (null when there are no biases) of {@code parts}, or null when they cannot fuse. */
    private NDArray[] fuse(List<Linear> parts) {
        Linear first = parts.get(0);
        for (Linear l : parts) {
            if (l.isTransposed() != first.isTransposed() || l.inFeatures() != first.inFeatures()
                    || (l.bias() == null) != (first.bias() == null)
                    || Compute.dtypeOf(l.storedWeight()) != Compute.dtypeOf(first.storedWeight())) {
                return null;
            }
        }
        NDArray[] weight = fuseTensors(parts.stream().map(Linear::storedWeight).toList(), first.isTransposed() ? 1 : 0);
        NDArray[] bias = first.bias() == null ? null : fuseTensors(parts.stream().map(Linear::bias).toList(), 0);
        for (int i = 0; i < parts.size(); i++) {
            Linear l = parts.get(i);
            NDArray oldWeight = l.storedWeight(), oldBias = l.bias();
            l.setStoredWeight(weight[i + 1]);
            if (bias != null) l.setBias(bias[i + 1]);
            oldWeight.close();
            if (oldBias != null) oldBias.close();
        }
        return new NDArray[] {weight[0], bias != null ? bias[0] : null};
    }

    /** The tensors concatenated along {@code dim}, then each as a view of that, owned by the model. */
    private NDArray[] fuseTensors(List<NDArray> parts, int dim) {
        try (IValue list = IValue.listFrom(parts.toArray(PtNDArray[]::new));
                IValue out = TorchKernels.run("fuse", list, dim)) {
            return out.toTensorArray((PtNDManager) manager);
        }
    }

    /** Gives every projection its own memory again and frees the fused tensors. */
    private void unfuse() {
        for (Block b : blocks) {
            if (b.qkvWeight != null) ownMemory(List.of(b.qProj, b.kProj, b.vProj));
            if (b.gateUpWeight != null) ownMemory(List.of(b.gateProj, b.upProj));
            for (NDArray f : new NDArray[] {b.qkvWeight, b.qkvBias, b.gateUpWeight, b.gateUpBias}) if (f != null) f.close();
            b.qkvWeight = b.qkvBias = b.gateUpWeight = b.gateUpBias = null;
        }
        closeKernelLists();
    }

    /** Replaces the views that {@code parts} hold (weight and bias) by copies in memory of their own. */
    private static void ownMemory(List<Linear> parts) {
        for (Linear l : parts) {
            NDArray w = l.storedWeight(), bias = l.bias();
            l.setStoredWeight(TorchKernels.ownCopy(w));
            w.close();
            if (bias != null) {
                l.setBias(TorchKernels.ownCopy(bias));
                bias.close();
            }
        }
    }

    private void closeKernelLists() {
        for (IValue v : new IValue[] {weightList, transposedList, loraList, scalingList}) if (v != null) v.close();
        weightList = transposedList = loraList = scalingList = null;
    }

    @Override
    public void close() {
        closeKernelLists();
        for (IValue v : new IValue[] {shape, trueValue, falseValue, epsValue, dropoutValue}) v.close();
        manager.close();
    }
}
