package absorb.graphs;

import absorb.AbsorbException;
import absorb.model.HookPoint;
import absorb.model.Intervention;
import absorb.model.LanguageModel;
import absorb.model.Transformer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Which attention heads the graph task needs: rule-following accuracy (and the representations' alignment with the
 * graph) with heads ablated at their output before o_proj ({@code blocks.{i}.attn.z}, as the replication did), against
 * the unablated model and against as many heads drawn at random. The heads are named, or the top K by a head score
 * ({@link HeadScores}), or K random ones; a curve gives the final accuracy against K for the top induction heads, the
 * top previous-token heads and random heads.
 */
public final class Ablation {
    /** Zero ablation, or the head's mean output over a reference batch (walks on the same graph with another seed). */
    public enum Kind {
        ZERO, MEAN;

        public static Kind parse(String s) {
            return switch (s) {
                case "zero" -> ZERO;
                case "mean" -> MEAN;
                default -> throw new AbsorbException("--ablation " + s + " is not known; use zero or mean.");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The heads to ablate: {@code how} is "heads" (the {@code named} ones), "top-induction", "top-previous" or
     * "random" ({@code k} of them).
     */
    public record Selection(String how, List<HeadScores.Head> named, int k) {
        public Selection {
            named = named == null ? null : List.copyOf(named);
            if (!List.of("heads", "top-induction", "top-previous", "random").contains(how)) {
                throw new IllegalArgumentException(how);
            }
            if (!how.equals("heads") && k < 1) throw new AbsorbException("--" + how + " must be at least 1, not " + k + ".");
        }

        public int count() {
            return how.equals("heads") ? named.size() : k;
        }

        String describe() {
            return switch (how) {
                case "heads" -> "heads " + String.join(", ", named.stream().map(HeadScores.Head::toString).toList());
                case "top-induction" -> "the top " + k + " induction heads";
                case "top-previous" -> "the top " + k + " previous-token heads";
                default -> k + " random heads";
            };
        }
    }

    /**
     * @param trace the graph-tracing run the ablations are measured on
     * @param selection the heads to ablate
     * @param kind zero or mean ablation
     * @param draws how many random sets of heads (for the comparison and each point of the curve)
     * @param curveMax the curve's largest K (0: no curve); K runs over 1, 2, 4, ... and curveMax
     * @param scoring how the head scores that rank the heads are measured
     */
    public record Settings(TraceConfig trace, Selection selection, Kind kind, int draws, int curveMax,
            HeadScores.Settings scoring) {
        public Settings {
            if (draws < 1) throw new AbsorbException("--draws must be at least 1, not " + draws + ".");
            if (curveMax < 0) throw new AbsorbException("--curve-max must be 0 or more, not " + curveMax + ".");
        }
    }

    /** One ablated (or the unablated) run. */
    public record Condition(String name, List<HeadScores.Head> heads, GraphTrace.Result run) {
        public double finalAccuracy() {
            return last(run.accuracyFull());
        }
    }

    /** Final accuracy with the top K heads of each score ablated and with K random heads (mean and sd over draws). */
    public record CurvePoint(int k, double topInduction, double topPrevious, double randomMean, double randomSd,
            List<List<HeadScores.Head>> randomSets, String randomFrom) {}

    /**
     * Everything an ablation run measured.
     *
     * @param hook the hook point whose representations are compared (the unablated run's best aligned)
     */
    public record Result(Settings settings, HeadScores.Report scores, Condition baseline, Condition chosen,
            List<Condition> random, String randomFrom, List<CurvePoint> curve, String hook) {
        public double randomMean() {
            return mean(random.stream().mapToDouble(Condition::finalAccuracy).toArray());
        }

        public double randomSd() {
            return sd(random.stream().mapToDouble(Condition::finalAccuracy).toArray());
        }
    }

    private final Settings s;
    private final LanguageModel lm;
    private final Transformer t;
    private final GraphTrace.Sequences seq;
    private final Consumer<String> log;
    /** Each layer's mean z over the reference batch [1, T, heads, head_dim], for mean ablation. */
    private final Map<Integer, NDArray> referenceZ = new LinkedHashMap<>();

    private Ablation(Settings s, LanguageModel lm, Consumer<String> log) {
        this.s = s;
        this.lm = lm;
        this.t = lm.transformer();
        this.seq = GraphTrace.sequences(s.trace(), lm);
        this.log = log;
    }

    /** Runs the ablations {@code s} describes on {@code lm}. */
    public static Result run(Settings s, LanguageModel lm, Consumer<String> log) {
        return run(s, lm, log, null);
    }

    /** The same, with the unablated run of {@code s.trace()} already measured ({@code baseline}; null: measure it). */
    public static Result run(Settings s, LanguageModel lm, Consumer<String> log, GraphTrace.Result baseline) {
        int total = lm.transformer().layers() * lm.config().numAttentionHeads();
        if (s.selection().how().equals("heads")) {
            for (HeadScores.Head h : s.selection().named()) {
                HeadScores.Head.parse(h.toString(), lm.transformer().layers(), lm.config().numAttentionHeads());
            }
        }
        if (s.selection().count() > total) {
            throw new AbsorbException("--" + s.selection().how() + " " + s.selection().count() + " is more than the model's "
                    + total + " heads.");
        }
        if (s.curveMax() > total) {
            throw new AbsorbException("--curve-max " + s.curveMax() + " is more than the model's " + total + " heads.");
        }
        return new Ablation(s, lm, log).run(baseline);
    }

    private Result run(GraphTrace.Result unablated) {
        try (NDManager reference = t.compute().newManager()) {
            if (s.kind() == Kind.MEAN) readReference(reference);
            boolean ranked = !s.selection().how().equals("heads") && !s.selection().how().equals("random");
            HeadScores.Report scores = ranked || s.curveMax() > 0 ? HeadScores.measure(lm, s.scoring()) : null;
            Condition baseline = new Condition("no ablation", List.of(), unablated != null ? unablated
                    : measure(s.trace(), List.of()));
            String hook = TraceFigures.bestHook(baseline.run());
            TraceConfig one = s.trace().withLayers(hook);
            List<HeadScores.Head> chosen = switch (s.selection().how()) {
                case "heads" -> s.selection().named();
                case "top-induction" -> scores.repeated().top("induction", s.selection().k());
                case "top-previous" -> scores.repeated().top("previous", s.selection().k());
                default -> draw(allHeads(), s.selection().k(), new SplittableRandom(s.trace().seed() + 99));
            };
            log.accept("ablating " + s.selection().describe() + " (" + names(chosen) + "), " + s.kind() + " ablation");
            Condition ablated = new Condition(s.selection().describe(), chosen, measure(s.trace(), chosen));
            // as the replication's control: random heads from outside the top K of both scores (outside the named heads)
            Set<HeadScores.Head> exclude = new LinkedHashSet<>(s.selection().how().equals("random") ? List.of() : chosen);
            if (ranked) {
                exclude.addAll(scores.repeated().top("induction", chosen.size()));
                exclude.addAll(scores.repeated().top("previous", chosen.size()));
            }
            List<HeadScores.Head> pool = eligible(exclude, chosen.size());
            String from = pool.size() == allHeads().size() ? "all heads" : ranked ? "heads outside the top "
                    + chosen.size() + " of both scores" : "the heads not named";
            List<Condition> random = new ArrayList<>();
            for (int d = 0; d < s.draws(); d++) {
                List<HeadScores.Head> set = draw(pool, chosen.size(), new SplittableRandom(s.trace().seed() + 100 + d));
                random.add(new Condition("random set " + (d + 1), set, measure(one, set)));
            }
            List<CurvePoint> curve = new ArrayList<>();
            TraceConfig last = one.withPositions(4); // the curve needs the last position only
            for (int k : curveKs(s.curveMax())) {
                List<HeadScores.Head> ind = scores.repeated().top("induction", k), prev = scores.repeated().top("previous", k);
                Set<HeadScores.Head> top = new LinkedHashSet<>(ind);
                top.addAll(prev);
                List<HeadScores.Head> kPool = eligible(top, k);
                double[] r = new double[s.draws()];
                List<List<HeadScores.Head>> sets = new ArrayList<>();
                for (int d = 0; d < s.draws(); d++) {
                    List<HeadScores.Head> set = draw(kPool, k, new SplittableRandom(s.trace().seed() + 1000L * k + d));
                    sets.add(set);
                    r[d] = last(measure(last, set).accuracyFull());
                }
                CurvePoint p = new CurvePoint(k, last(measure(last, ind).accuracyFull()), last(measure(last, prev)
                        .accuracyFull()), mean(r), sd(r), sets, kPool.size() == allHeads().size() ? "all heads"
                        : "heads outside the top " + k + " of both scores");
                log.accept(String.format(Locale.ROOT, "K = %d: final accuracy %.3f (top induction), %.3f (top previous"
                        + " token), %.3f +- %.3f (random)", k, p.topInduction(), p.topPrevious(), p.randomMean(),
                        p.randomSd()));
                curve.add(p);
            }
            return new Result(s, scores, baseline, ablated, random, from, curve, hook);
        } finally {
            referenceZ.clear();
        }
    }

    /** 1, 2, 4, ... below {@code max}, and {@code max}. */
    static List<Integer> curveKs(int max) {
        List<Integer> ks = new ArrayList<>();
        for (int k = 1; k < max; k *= 2) ks.add(k);
        if (max > 0) ks.add(max);
        return ks;
    }

    /** The run of {@code config} with {@code heads} ablated (none: unablated). */
    private GraphTrace.Result measure(TraceConfig config, List<HeadScores.Head> heads) {
        return GraphTrace.measure(config, seq.graph(), seq.words(), seq.wordTokens(), seq.ids(), seq.nodeOf(),
                seq.offset(), t, line -> { }, interventions(heads));
    }

    /** One intervention per layer at attn.z, on that layer's ablated heads. */
    List<Intervention> interventions(List<HeadScores.Head> heads) {
        Map<Integer, List<Integer>> byLayer = new TreeMap<>();
        for (HeadScores.Head h : heads) byLayer.computeIfAbsent(h.layer(), l -> new ArrayList<>()).add(h.head());
        List<Intervention> out = new ArrayList<>();
        byLayer.forEach((layer, hs) -> {
            String point = HookPoint.attnZ(layer);
            Intervention iv = s.kind() == Kind.ZERO ? Intervention.zero(point) : Intervention.mean(point, referenceZ.get(layer));
            out.add(iv.heads(hs.stream().mapToInt(Integer::intValue).toArray()));
        });
        return out;
    }

    /** Every layer's z averaged over a reference batch: walks on the same graph and words with another seed. */
    private void readReference(NDManager keep) {
        TraceConfig other = s.trace().withSeed(s.trace().seed() + 1);
        GraphTrace.Sequences ref = GraphTrace.sequences(other, lm);
        List<Intervention> reads = new ArrayList<>();
        for (int l = 0; l < t.layers(); l++) {
            int layer = l;
            reads.add(Intervention.read(HookPoint.attnZ(l), z -> {
                NDArray m = z.mean(new int[] {0}, true);
                m.attach(keep);
                referenceZ.put(layer, m);
            }));
        }
        try (NDManager scope = t.compute().newManager()) {
            t.forward(scope, absorb.model.Forward.of(ref.ids()).withInterventions(reads)
                    .withLogits(Transformer.Logits.NONE));
        }
    }

    private List<HeadScores.Head> allHeads() {
        List<HeadScores.Head> all = new ArrayList<>();
        for (int l = 0; l < t.layers(); l++) for (int h = 0; h < lm.config().numAttentionHeads(); h++) all.add(new HeadScores.Head(l, h));
        return all;
    }

    /** The heads outside {@code exclude} when at least {@code k} remain, else all heads. */
    private List<HeadScores.Head> eligible(Set<HeadScores.Head> exclude, int k) {
        List<HeadScores.Head> pool = new ArrayList<>(allHeads());
        pool.removeAll(exclude);
        return pool.size() >= k ? pool : allHeads();
    }

    /** {@code k} distinct heads of {@code pool}, uniformly (a partial Fisher-Yates shuffle). */
    static List<HeadScores.Head> draw(List<HeadScores.Head> pool, int k, SplittableRandom random) {
        List<HeadScores.Head> p = new ArrayList<>(pool);
        for (int i = 0; i < k; i++) java.util.Collections.swap(p, i, i + random.nextInt(p.size() - i));
        List<HeadScores.Head> out = new ArrayList<>(p.subList(0, k));
        out.sort(java.util.Comparator.comparingInt(HeadScores.Head::layer).thenComparingInt(HeadScores.Head::head));
        return out;
    }

    static String names(List<HeadScores.Head> heads) {
        return String.join(", ", heads.stream().map(HeadScores.Head::toString).toList());
    }

    static double last(double[] v) {
        return v[v.length - 1];
    }

    static double mean(double[] v) {
        return java.util.Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (0 for one value). */
    static double sd(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return Math.sqrt(ss / (v.length - 1));
    }

    /** The ablation in a few sentences. */
    public static String reading(Result r) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s-ablating %s (%s) at attn.z moves the final"
                        + " accuracy from %.3f to %.3f; as many random heads (%d draw%s from %s) give %.3f +- %.3f. At %s"
                        + " the spectral alignment of the word means (R^2, last position) goes from %.2f to %.2f (random:"
                        + " %.2f).", capitalised(r.settings().kind().toString()), r.chosen().name(),
                names(r.chosen().heads()), r.baseline().finalAccuracy(), r.chosen().finalAccuracy(), r.random().size(),
                r.random().size() == 1 ? "" : "s", r.randomFrom(), r.randomMean(), r.randomSd(), r.hook(), r2(r.baseline(), r.hook()), r2(r.chosen(), r.hook()),
                mean(r.random().stream().mapToDouble(c -> r2(c, r.hook())).toArray())));
        if (!r.curve().isEmpty()) {
            CurvePoint p = r.curve().get(r.curve().size() - 1);
            b.append(String.format(Locale.ROOT, " With K = %d heads ablated: %.3f (top induction), %.3f (top"
                    + " previous-token), %.3f (random).", p.k(), p.topInduction(), p.topPrevious(), p.randomMean()));
        }
        return b.toString();
    }

    static double r2(Condition c, String hook) {
        return last(c.run().hooks().get(hook).spectralR2());
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** ablation.json: the settings, each condition's heads, accuracy curve, alignment and changes, and the K curve. */
    public static com.fasterxml.jackson.databind.node.ObjectNode toJson(Result r) {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var o = json.createObjectNode();
        o.put("graph", r.baseline().run().graph().name());
        o.put("ablation", r.settings().kind().toString());
        o.put("point", "blocks.{i}.attn.z (each head's output before o_proj)");
        o.put("mean_reference", "mean over a batch of walks on the same graph and words with seed + 1, per position");
        o.put("selection", r.chosen().name());
        o.put("hook", r.hook());
        o.put("random_drawn_from", r.randomFrom());
        o.put("final_accuracy_definition", "whole-vocabulary accuracy at the last measured position, mean over the batch");
        TraceOutput.ints(o.putArray("positions"), r.baseline().run().positions());
        var conditions = o.putArray("conditions");
        for (Condition c : CircuitFigures.conditions(r)) {
            var e = conditions.addObject();
            e.put("name", c.name());
            var heads = e.putArray("heads");
            c.heads().forEach(h -> heads.add(h.toString()));
            e.put("final_accuracy", c.finalAccuracy());
            var byHook = e.putObject("spectral_r2_last_by_hook");
            c.run().hooks().forEach((hook, m) -> absorb.report.Claim.putNumber(byHook, hook, last(m.spectralR2())));
            TraceOutput.doubles(e.putArray("accuracy_full_vocab"), c.run().accuracyFull());
            TraceOutput.doubles(e.putArray("accuracy_graph_words"), c.run().accuracyGraph());
            TraceOutput.doubles(e.putArray("spectral_r2"), c.run().hooks().get(r.hook()).spectralR2());
            TraceOutput.doubles(e.putArray("energy_normalized"), c.run().hooks().get(r.hook()).energyNormalized());
            var changes = e.putArray("changes");
            for (Intervention.Change ch : c.run().changes()) {
                changes.addObject().put("intervention", ch.intervention().describe()).put("change_norm", ch.changeNorm())
                        .put("relative_change", ch.relative());
            }
        }
        o.put("random_mean_final_accuracy", r.randomMean());
        o.put("random_sd_final_accuracy", r.randomSd());
        var curve = o.putArray("curve");
        for (CurvePoint p : r.curve()) {
            var e = curve.addObject();
            e.put("k", p.k());
            e.put("top_induction", p.topInduction());
            e.put("top_previous", p.topPrevious());
            e.put("random_mean", p.randomMean());
            e.put("random_sd", p.randomSd());
            e.put("random_drawn_from", p.randomFrom());
            var sets = e.putArray("random_sets");
            for (List<HeadScores.Head> set : p.randomSets()) {
                var a = sets.addArray();
                set.forEach(h -> a.add(h.toString()));
            }
        }
        return o;
    }
}
