package absorb.model;

import absorb.AbsorbException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The decoder shared by Llama, Qwen2 and Mistral: token embedding, then per block
 * x = x + o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))) with n = RMSNorm(x), and
 * x = x + down_proj(silu(gate_proj(n)) * up_proj(n)) with n = RMSNorm(x), then a final RMSNorm and lm_head.
 * Weights keep transformers' tensor names; the numbers follow transformers step by step. The blocks run as one call
 * into the decoder kernel ({@code absorb/model/decoder.py}, where their equations are); this class prepares what the
 * blocks share (positions, rotary tables, attention masks) and keeps the weights, caches and hooks.
 */
public final class Transformer implements AutoCloseable {

    /**
     * Receives the tensors at hook points during a forward pass (see {@link HookPoint}): [batch, seq, hidden] on the
     * residual stream, [batch, head, query, key] for attn.pattern, [batch, pos, head, head_dim] for attn.z.
     */
    public interface ResidualHook {
        /**
         * Whether this point is wanted; points nobody wants are not materialised (a block computes the points inside it
         * only when one of them is wanted or written).
         */
        boolean wants(String hookPoint);

        /**
         * The tensor lives in the forward pass's scope: copy or reduce what you keep (an attention pattern is freed as
         * soon as its block has used it).
         */
        void accept(String hookPoint, NDArray residual);

        /**
         * A hook that copies every hidden state (embed, each block's resid_post, final_norm), as float32, into
         * {@code into} (hook point -> values).
         */
        static ResidualHook collectAll(Map<String, float[]> into) {
            return collect(HookPoint::isHiddenState, into);
        }

        /** A hook that copies the points {@code wanted} accepts, as float32, into {@code into}. */
        static ResidualHook collect(java.util.function.Predicate<String> wanted, Map<String, float[]> into) {
            return new ResidualHook() {
                @Override
                public boolean wants(String hookPoint) {
                    return wanted.test(hookPoint);
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
     * then computes no other); {@code changes}, what each intervention that writes changed, in the order applied.
     */
    public record Output(NDArray logits, NDArray finalHidden, List<Intervention.Change> changes) {
        /**
         * Refuses a pass in which an intervention changed nothing (a patch or an ablation that replaced a value with
         * itself, or selected nothing): one sentence naming it.
         */
        public Output requireChanges() {
            for (Intervention.Change c : changes) {
                if (!c.changed()) {
                    throw new AbsorbException("The intervention " + c.intervention().describe() + " changed nothing: the"
                            + " value there already was what it sets.");
                }
            }
            return this;
        }
    }

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
    /** Arguments every kernel call repeats, made once. */
    private final IValue trueValue, falseValue, epsValue, headsValue, kvHeadsValue, headDimValue;
    private IValue dropoutValue, trainingValue;
    /** Every block's weights and adapter scalings as the decoder kernel takes them, built when first needed. */
    private IValue kernelWeights, kernelScalings;

    /**
     * @param weights each tensor by transformers name (null for one the model lacks), asked for once, in the order of
     *     {@link CheckpointTensors#expected}; those in {@link CheckpointTensors#readTransposed} may already be
     *     [in, out] (then {@code preTransposed} names them). A block's projections are fused (see {@link Block#fuse})
     *     as soon as the block is built, so the separate tensors of one block at most are alive beside the fused ones.
     */
    Transformer(ModelConfig config, Compute compute, NDManager manager, Function<String, NDArray> weights,
            Set<String> preTransposed) {
        this.config = config;
        this.compute = compute;
        this.manager = manager;
        NDArray embed = weights.apply("model.embed_tokens.weight");
        this.blocks = new Block[config.numHiddenLayers()];
        for (int i = 0; i < blocks.length; i++) {
            Map<Projection, Linear> projections = new EnumMap<>(Projection.class);
            for (Projection p : Projection.values()) {
                String name = p.moduleIn(i);
                NDArray w = weights.apply(name + ".weight"), b = weights.apply(name + ".bias");
                projections.put(p, preTransposed.contains(name + ".weight") ? Linear.ofTransposed(w, b) : new Linear(w, b));
            }
            String prefix = "model.layers." + i + ".";
            blocks[i] = new Block(projections, weights.apply(prefix + "input_layernorm.weight"),
                    weights.apply(prefix + "post_attention_layernorm.weight"), config.slidingWindow()[i]);
            blocks[i].onChange(this::closeKernelArguments);
            blocks[i].fuse(manager);
        }
        this.norm = weights.apply("model.norm.weight");
        this.embedTokens = config.tieWordEmbeddings() ? null : embed;
        String head = config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        NDArray headWeight = config.tieWordEmbeddings() ? embed : weights.apply(head);
        this.lmHead = preTransposed.contains(head) ? Linear.ofTransposed(headWeight, null) : new Linear(headWeight, null);
        this.invFreq = config.rope().inverseFrequencies(config.headDim());
        this.empty = manager.create(new float[0]);
        this.trueValue = IValue.from(true);
        this.falseValue = IValue.from(false);
        this.epsValue = IValue.from(config.rmsNormEps());
        this.headsValue = IValue.from((long) config.numAttentionHeads());
        this.kvHeadsValue = IValue.from((long) config.numKeyValueHeads());
        this.headDimValue = IValue.from((long) config.headDim());
        this.dropoutValue = IValue.from(0.0);
        this.trainingValue = falseValue;
    }

    /** A model with random weights (normal, std 0.02; norms 1), for benchmarks and tests. */
    public static Transformer random(ModelConfig config, Compute compute, long seed) {
        NDManager manager = compute.newManager();
        try {
            Engine.getEngine("PyTorch").setRandomSeed((int) seed);
            Set<String> wide = CheckpointTensors.readTransposed(config), made = new LinkedHashSet<>();
            Map<String, Shape> expected = CheckpointTensors.expected(config);
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

    /** Builds a model from loaded tensors (already checked against {@link CheckpointTensors#expected}). */
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
        for (int i = 0; i < blocks.length; i++) {
            for (Projection p : Projection.values()) {
                Linear l = blocks[i].projection(p);
                out.put(p.moduleIn(i) + ".weight", l.weight(scope));
                if (l.bias() != null) out.put(p.moduleIn(i) + ".bias", l.bias());
            }
            String prefix = "model.layers." + i + ".";
            out.put(prefix + "input_layernorm.weight", blocks[i].inputLayernorm());
            out.put(prefix + "post_attention_layernorm.weight", blocks[i].postAttentionLayernorm());
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead.weight(scope));
        return out;
    }

    /**
     * Readies the weights for training, which updates each in place: every projection gets memory of its own (the
     * fused q/k/v and gate/up tensors are undone; decoding a trained model is then a few percent slower). Needed
     * before {@link #parameters()}; LoRA training, which leaves the base frozen, does not need it.
     */
    public void prepareForTraining() {
        for (Block b : blocks) if (b.isFused()) b.unfuse();
    }

    /**
     * The tensors training updates, by transformers name, as stored: projections that {@link Linear} keeps
     * transposed appear as [in, out] (their {@link #namedWeights} entry is the [out, in] view; see
     * {@link #storedTransposed}). With tied embeddings the one table is listed once, as model.embed_tokens.weight,
     * stored [hidden, vocab]. Call {@link #prepareForTraining()} first.
     */
    public Map<String, NDArray> parameters() {
        for (Block b : blocks) {
            if (b.isFused()) throw new IllegalStateException("call prepareForTraining() before parameters()");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", config.tieWordEmbeddings() ? lmHead.storedWeight() : embedTokens);
        for (int i = 0; i < blocks.length; i++) {
            String prefix = "model.layers." + i + ".";
            out.put(prefix + "input_layernorm.weight", blocks[i].inputLayernorm());
            for (Projection p : Projection.values()) {
                Linear l = blocks[i].projection(p);
                out.put(p.moduleIn(i) + ".weight", l.storedWeight());
                if (l.bias() != null) out.put(p.moduleIn(i) + ".bias", l.bias());
                if (p == Projection.O_PROJ) out.put(prefix + "post_attention_layernorm.weight", blocks[i].postAttentionLayernorm());
            }
        }
        out.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) out.put("lm_head.weight", lmHead.storedWeight());
        return out;
    }

    /**
     * The shape of one value per token that broadcasts over the token table {@code name} of {@link #parameters()}
     * (model.embed_tokens.weight or lm_head.weight) as it is stored: [vocab, 1], or [1, vocab] when stored transposed.
     */
    public Shape perTokenShape(String name) {
        if (!name.equals("model.embed_tokens.weight") && !name.equals("lm_head.weight")) {
            throw new IllegalArgumentException(name + " is not a token table");
        }
        long vocab = config.vocabSize();
        return storedTransposed(name) ? new Shape(1, vocab) : new Shape(vocab, 1);
    }

    /** Whether parameter {@code name} of {@link #parameters()} is stored transposed ([in, out]). */
    public boolean storedTransposed(String name) {
        if (name.equals("model.embed_tokens.weight")) return config.tieWordEmbeddings() && lmHead.isTransposed();
        if (name.equals("lm_head.weight")) return lmHead.isTransposed();
        for (int i = 0; i < blocks.length; i++) {
            for (Projection p : Projection.values()) {
                if (name.equals(p.moduleIn(i) + ".weight")) return blocks[i].projection(p).isTransposed();
            }
        }
        return false;
    }

    /** Runs the model as {@code request} says; every tensor it makes lives in {@code scope}. */
    public Output forward(NDManager scope, Forward request) {
        long[][] tokenIds = request.ids();
        int batch = tokenIds.length, seq = tokenIds[0].length;
        KvCache cache = request.cache();
        int[][] segments = request.segments();
        Logits logits = request.logits();
        Points points = new Points(scope, request.hook(), request.interventions());
        boolean[][] mask = request.padding() != null ? request.padding() : allTrue(batch, seq);
        int past = cache == null ? 0 : cache.length();
        int[][] positions = segments != null ? segmentPositions(mask, segments) : positions(mask, cache);
        NDArray x = request.inputEmbeds();
        if (x == null) {
            NDArray ids = scope.create(flatten(tokenIds), new Shape(batch, seq));
            x = embedTokens != null ? DecoderKernels.embedding(scope, ids, embedTokens, false)
                    : DecoderKernels.embedding(scope, ids, lmHead.storedWeight(), lmHead.isTransposed());
        }
        x = points.visit(HookPoint.EMBED, x);
        NDArray[] rope = rotaryTables(scope, positions);
        // each block's mask (one per sliding window), as the kernel takes them: the additive tensor or an empty one,
        // and whether the keys are plainly causal
        Map<Integer, Mask> byWindow = new LinkedHashMap<>();
        PtNDArray[] additive = new PtNDArray[blocks.length];
        boolean[] causal = new boolean[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            Mask m = byWindow.computeIfAbsent(blocks[i].slidingWindow(),
                    w -> attentionMask(scope, mask, segments, cache, past, seq, w));
            additive[i] = (PtNDArray) (m.additive() != null ? m.additive() : empty);
            causal[i] = m.causal();
        }
        // The blocks run in one kernel call between the residuals a hook reads or writes (all at once without hooks);
        // a block with a point inside it read or written runs in steps (hookedBlock). For next-token logits alone, the
        // last block computes only the last position.
        boolean[] between = new boolean[blocks.length], inside = new boolean[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            between[i] = points.touches(HookPoint.residPost(i))
                    || (i + 1 < blocks.length && points.touches(HookPoint.residPre(i + 1)));
            for (HookPoint.Site site : HookPoint.Site.values()) {
                if (site.insideBlock() && points.touches(HookPoint.of(site, i))) inside[i] = true;
            }
        }
        boolean finalHook = points.touches(HookPoint.FINAL_NORM);
        int last = blocks.length - 1;
        boolean lastOnly = logits == Logits.LAST && !finalHook && !between[last] && !inside[last];
        try (points; IValue masks = IValue.listFrom(additive); IValue causalMasks = IValue.listFrom(causal);
                KvCache none = cache == null ? new KvCache(scope, blocks.length, batch) : null) {
            KvCache kv = cache != null ? cache : none;
            x = points.visit(HookPoint.residPre(0), x);
            for (int first = 0, end; first < blocks.length; first = end) {
                end = first + 1;
                if (inside[first]) {
                    x = hookedBlock(scope, first, x, rope, masks, causalMasks, kv, points);
                } else {
                    while (end < blocks.length && !between[end - 1] && !inside[end]) end++;
                    x = layers(scope, x, rope, masks, causalMasks, kv, first, end, lastOnly && end == blocks.length);
                }
                x = points.visit(HookPoint.residPost(end - 1), x);
                if (end < blocks.length) x = points.visit(HookPoint.residPre(end), x);
            }
        }
        if (cache != null) cache.advance(mask);
        if (lastOnly) {
            NDArray[] lastLogits = DecoderKernels.LAST_LOGITS.tuple(scope, x, norm, epsValue, lmHead.storedWeight(),
                    lmHead.isTransposed() ? trueValue : falseValue);
            return new Output(lastLogits[1], lastLogits[0], points.changes());
        }
        NDArray h = DecoderKernels.rmsNorm(x, norm, config.rmsNormEps());
        h = points.visit(HookPoint.FINAL_NORM, h);
        NDArray out = switch (logits) {
            case ALL -> lmHead(h);
            case LAST -> lmHead(h.get(":, -1:, :"));
            case NONE -> null;
        };
        return new Output(out, h, points.changes());
    }

    /**
     * Blocks {@code first} to {@code end - 1} through the decoder kernel in one call, extending {@code cache};
     * returns the new residual (only the last position's with {@code lastOnly}).
     */
    private NDArray layers(NDManager scope, NDArray x, NDArray[] rope, IValue masks, IValue causalMasks, KvCache cache,
            int first, int end, boolean lastOnly) {
        buildKernelArguments();
        return DecoderKernels.LAYERS.tensor(scope, x, rope[0], rope[1], masks, causalMasks, cache.keys(), cache.values(),
                first, end, lastOnly, kernelWeights, kernelScalings, headsValue, kvHeadsValue, headDimValue, epsValue,
                dropoutValue, trainingValue);
    }

    /**
     * Block {@code i} in steps, visiting the points inside it (see decoder.py's hooked block): z = attention before
     * o_proj (from the explicit attention probabilities when attn.pattern is read or written, else with the block's
     * own attention), attn_out = o_proj(z), resid_mid = x + attn_out, mlp_out = mlp(resid_mid), and returns
     * resid_mid + mlp_out. Computes what {@link #layers} computes for the block, with the same operations.
     */
    private NDArray hookedBlock(NDManager scope, int i, NDArray x, NDArray[] rope, IValue masks, IValue causalMasks,
            KvCache cache, Points points) {
        buildKernelArguments();
        Object[] attention = {x, rope[0], rope[1], masks, causalMasks, cache.keys(), cache.values(), i, kernelWeights,
            kernelScalings, headsValue, kvHeadsValue, headDimValue, epsValue, dropoutValue, trainingValue};
        NDArray z;
        if (points.touches(HookPoint.attnPattern(i))) {
            Object[] withScratch = Arrays.copyOf(attention, attention.length + 1);
            withScratch[attention.length] = points.patternScratch();
            NDArray[] pvz = DecoderKernels.ATTENTION_PATTERN.tuple(scope, withScratch);
            NDArray pattern = points.visit(HookPoint.attnPattern(i), pvz[0]);
            // z from the probabilities as they came, unless a write replaced them
            z = pattern == pvz[0] ? pvz[2] : DecoderKernels.PATTERN_VALUES.tensor(scope, pattern, pvz[1]);
            // [batch, heads, t, keys] each: freed at once, so that a pass holds one block's probabilities at a time
            pvz[0].close();
            pvz[1].close();
            if (pattern != pvz[0]) {
                pattern.close();
                pvz[2].close();
            }
        } else {
            z = DecoderKernels.ATTENTION_HEADS.tensor(scope, attention);
        }
        z = points.visit(HookPoint.attnZ(i), z);
        NDArray attnOut = points.visit(HookPoint.attnOut(i), DecoderKernels.ATTENTION_OUTPUT.tensor(scope, z, i,
                kernelWeights, kernelScalings, dropoutValue, trainingValue));
        NDArray mid = points.visit(HookPoint.residMid(i), x.add(attnOut));
        NDArray mlpOut = points.visit(HookPoint.mlpOut(i), DecoderKernels.MLP_OUTPUT.tensor(scope, mid, i, kernelWeights,
                kernelScalings, epsValue, dropoutValue, trainingValue));
        return mid.add(mlpOut);
    }

    /**
     * The reads and writes of one forward pass at its hook points: the request's interventions by point (checked
     * against the model before anything runs) and its hook, and what each write changed.
     */
    private final class Points implements AutoCloseable {
        private IValue patternScratch;
        private final NDManager scope;
        private final ResidualHook hook;
        private final Map<String, List<Intervention>> byPoint = new LinkedHashMap<>();
        private final Map<String, HookPoint.At> sites = new LinkedHashMap<>();
        private final List<Intervention.Change> changes = new ArrayList<>();

        Points(NDManager scope, ResidualHook hook, List<Intervention> interventions) {
            this.scope = scope;
            this.hook = hook;
            for (Intervention iv : interventions) {
                sites.put(iv.point(), iv.check(blocks.length, config.numAttentionHeads()));
                byPoint.computeIfAbsent(iv.point(), p -> new ArrayList<>()).add(iv);
            }
        }

        boolean touches(String point) {
            return byPoint.containsKey(point) || (hook != null && hook.wants(point));
        }

        /**
         * The two tensors the explicit attention of every block of this pass writes its scores and probabilities
         * into (decoder.py's attention_pattern), made on first use and freed with the pass.
         */
        IValue patternScratch() {
            if (patternScratch == null) {
                try (NDManager tmp = scope.newSubManager()) {
                    PtNDArray none = (PtNDArray) tmp.create(new float[0]);
                    patternScratch = IValue.listFrom(none, none);
                }
            }
            return patternScratch;
        }

        @Override
        public void close() {
            if (patternScratch != null) patternScratch.close();
            patternScratch = null;
        }

        /** Applies the interventions at {@code point} to {@code x} in order, then hands the result to the hook. */
        NDArray visit(String point, NDArray x) {
            List<Intervention> list = byPoint.get(point);
            if (list != null) for (Intervention iv : list) x = apply(iv, sites.get(point).site(), x);
            if (hook != null && hook.wants(point)) hook.accept(point, x);
            return x;
        }

        private NDArray apply(Intervention iv, HookPoint.Site site, NDArray x) {
            if (!iv.writes()) {
                iv.reader().accept(x);
                return x;
            }
            NDArray target = switch (iv.edit()) {
                case ZERO -> empty;
                case MEAN, REPLACE -> iv.value();
                case FUNCTION -> iv.function().apply(x);
                case READ -> throw new IllegalStateException();
            };
            Shape shape = x.getShape();
            if (target != empty && !broadcasts(target.getShape(), shape)) {
                throw new AbsorbException("The value for " + iv.describe() + " has shape " + target.getShape()
                        + ", which does not fit the point's shape " + shape + ".");
            }
            NDArray[] r = DecoderKernels.REPLACE_PART.tuple(scope, x, target, selection(iv, site, shape));
            changes.add(new Intervention.Change(iv, Math.sqrt(r[1].getFloat()), Math.sqrt(r[2].getFloat())));
            r[1].close();
            r[2].close();
            return r[0];
        }

        /**
         * Where the intervention writes, as a boolean tensor that broadcasts to {@code shape}: its positions (axis 1;
         * the query axis 2 for attn.pattern) and heads (axis 2 of attn.z, 1 of attn.pattern); empty for all of it.
         */
        private NDArray selection(Intervention iv, HookPoint.Site site, Shape shape) {
            if (iv.heads() == null && iv.positions() == null) return empty;
            int posAxis = site == HookPoint.Site.PATTERN ? 2 : 1, headAxis = site == HookPoint.Site.PATTERN ? 1 : 2;
            long[] dims = new long[shape.dimension()];
            java.util.Arrays.fill(dims, 1);
            int t = (int) shape.get(posAxis);
            dims[posAxis] = t;
            int h = site.perHead() ? (int) shape.get(headAxis) : 1;
            if (site.perHead()) dims[headAxis] = h;
            boolean[] pos = new boolean[t], head = new boolean[h];
            if (iv.positions() == null) java.util.Arrays.fill(pos, true);
            else for (int p : iv.positions()) {
                if (p >= t) {
                    throw new AbsorbException("Position " + p + " at " + iv.point() + " is beyond the " + t
                            + " positions of this forward pass.");
                }
                pos[p] = true;
            }
            if (iv.heads() == null) java.util.Arrays.fill(head, true);
            else for (int k : iv.heads()) head[k] = true;
            boolean[] sel = new boolean[t * h];
            for (int a = 0; a < t; a++) {
                for (int b = 0; b < h; b++) {
                    // the axes in their order in the tensor: positions before heads for attn.z, after for attn.pattern
                    int index = site == HookPoint.Site.PATTERN ? b * t + a : a * h + b;
                    sel[index] = pos[a] && head[b];
                }
            }
            return scope.create(sel, new Shape(dims));
        }

        List<Intervention.Change> changes() {
            return List.copyOf(changes);
        }
    }

    /** Whether a tensor of shape {@code from} broadcasts to {@code to} (numpy's rule, no more dimensions than it). */
    private static boolean broadcasts(Shape from, Shape to) {
        if (from.dimension() > to.dimension()) return false;
        for (int k = 1; k <= from.dimension(); k++) {
            long f = from.get(from.dimension() - k), t = to.get(to.dimension() - k);
            if (f != 1 && f != t) return false;
        }
        return true;
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
     * Every block's weights (a list of dicts) and the adapters' scalings (one dict, by module name) as the decoder
     * kernel takes them.
     */
    private void buildKernelArguments() {
        if (kernelWeights != null) return;
        List<IValue> weights = new ArrayList<>();
        Map<String, Double> scalings = new LinkedHashMap<>();
        Map<String, IValue> scalingValues = new LinkedHashMap<>();
        try {
            for (int i = 0; i < blocks.length; i++) {
                weights.add(IValue.stringMapFrom(blocks[i].kernelWeights()));
                blocks[i].addScalings(i, scalings);
            }
            scalings.forEach((k, v) -> scalingValues.put(k, IValue.from(v)));
            kernelWeights = IValue.listFrom(weights.toArray(IValue[]::new));
            kernelScalings = IValue.stringIValueMapFrom(scalingValues);
        } finally {
            weights.forEach(IValue::close);
            scalingValues.values().forEach(IValue::close);
        }
    }

    private void closeKernelArguments() {
        for (IValue v : new IValue[] {kernelWeights, kernelScalings}) if (v != null) v.close();
        kernelWeights = kernelScalings = null;
    }

    @Override
    public void close() {
        closeKernelArguments();
        for (IValue v : new IValue[] {trueValue, falseValue, epsValue, headsValue, kvHeadsValue, headDimValue,
            dropoutValue}) {
            v.close();
        }
        manager.close();
    }
}
