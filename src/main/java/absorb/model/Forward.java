package absorb.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What one forward pass computes, and from what: {@code Forward.of(ids)} with the defaults (no padding, positions
 * counted from 0, no cache, no hook, logits at every position), changed with the {@code with...} methods.
 *
 * @param ids token ids [batch][seq]
 * @param padding true for a real token, false for padding, on either side (null: no padding). Positions count real
 *     tokens only, as transformers' generate does
 * @param segments for rows that pack several sequences, the number of the sequence each token belongs to (null:
 *     one sequence per row). A token sees only earlier tokens of its own sequence and positions restart at each,
 *     so a packed row computes exactly what its sequences would alone (no cache with packing)
 * @param cache keys and values of earlier tokens, which the pass extends (null: none); positions continue from it
 * @param hook receives the tensors at the hook points it asks for (null: none); it sees them after the
 *     interventions at the same point
 * @param logits which positions get logits
 * @param inputEmbeds the embeddings of {@code ids} made by the caller [batch, seq, hidden] (training makes them
 *     outside autograd, see CausalLmLoss), or null for the model's lookup
 * @param interventions what the pass reads and writes at its hook points, in order (empty: nothing); a pass with
 *     none, and a hook that asks only for the residual stream between blocks, runs the blocks as fast as it can
 */
public record Forward(long[][] ids, boolean[][] padding, int[][] segments, KvCache cache, Transformer.ResidualHook hook,
        Transformer.Logits logits, NDArray inputEmbeds, List<Intervention> interventions) {

    public Forward {
        if (ids.length == 0 || ids[0].length == 0) throw new IllegalArgumentException("a forward pass needs tokens");
        if (segments != null && cache != null) throw new IllegalArgumentException("packed rows take no cache");
        if (logits == null) throw new IllegalArgumentException("logits: ALL, LAST or NONE");
        interventions = interventions == null ? List.of() : List.copyOf(interventions);
    }

    public static Forward of(long[][] ids) {
        return new Forward(ids, null, null, null, null, Transformer.Logits.ALL, null, List.of());
    }

    public Forward withPadding(boolean[][] p) {
        return new Forward(ids, p, segments, cache, hook, logits, inputEmbeds, interventions);
    }

    public Forward withSegments(int[][] s) {
        return new Forward(ids, padding, s, cache, hook, logits, inputEmbeds, interventions);
    }

    public Forward withCache(KvCache c) {
        return new Forward(ids, padding, segments, c, hook, logits, inputEmbeds, interventions);
    }

    public Forward withHook(Transformer.ResidualHook h) {
        return new Forward(ids, padding, segments, cache, h, logits, inputEmbeds, interventions);
    }

    public Forward withLogits(Transformer.Logits l) {
        return new Forward(ids, padding, segments, cache, hook, l, inputEmbeds, interventions);
    }

    public Forward withInputEmbeds(NDArray e) {
        return new Forward(ids, padding, segments, cache, hook, logits, e, interventions);
    }

    public Forward withInterventions(List<Intervention> i) {
        return new Forward(ids, padding, segments, cache, hook, logits, inputEmbeds, i);
    }
}
