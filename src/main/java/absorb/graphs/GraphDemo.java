package absorb.graphs;

import absorb.AbsorbException;
import absorb.analysis.Fits;
import absorb.model.LanguageModel;
import absorb.report.Claim;
import absorb.report.HtmlReport;
import absorb.report.Summary;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The graph study's demo: grid, ring and hexagonal-lattice runs, the attention heads' scores and the ablation of the
 * induction heads on the grid, the critical-context sweep with its power law (and the same sweep on random walks beside
 * it), the semantic conflict; each claim measured with the demo's seed and again with more seeds. Writes each run's folder and its report sections, and returns the claims and readings.
 */
public final class GraphDemo {
    /** The bundled model, relative to absorb's folder. */
    public static final String BUNDLED_MODEL = "models/graphs-small";

    /** The run folders the claims' figures are in, under the demo's folder. */
    static final String GRID = "grid_4x4", RING = "ring_10", SWEEP = "sweep", CONFLICT = "conflict",
            ABLATION = "ablation_grid_4x4";

    /** Thresholds the claims are held to. */
    public static final double MIN_ACCURACY = 0.8, MIN_SPECTRAL_R2 = 0.5, MIN_POWER_LAW_R2 = 0.9;

    /**
     * The ablation claims: the top {@link #ABLATED_HEADS} induction heads (by their score on repeated random
     * sequences), zero-ablated at attn.z, remove at least {@link #MIN_INDUCTION_DROP} of the unablated final accuracy;
     * as many random heads ({@link #RANDOM_DRAWS} draws outside the top heads of both scores) remove at most
     * {@link #MAX_RANDOM_SHARE} of what the induction heads remove. See the README for why.
     */
    public static final int ABLATED_HEADS = 2, RANDOM_DRAWS = 4, CURVE_MAX = 8;
    public static final double MIN_INDUCTION_DROP = 0.5, MAX_RANDOM_SHARE = 0.5;

    /**
     * @param context word tokens per sequence
     * @param window positions per word mean
     * @param batch sequences per run
     * @param sweep graphs of the critical-context sweep (at least four)
     * @param sweepSampling what the power-law claims are measured on: pairs or walk
     * @param seed seed of walks and word assignments
     * @param robustnessSeeds how many more seeds every claim is measured with
     */
    public record Settings(int context, int window, int batch, List<String> sweep, String sweepSampling, long seed,
            int robustnessSeeds) {
        public Settings {
            if (sweep.size() < 4) throw new AbsorbException("--sweep needs at least four graphs.");
            Experiments.checkGraphs(sweep);
            TraceConfig.checkSampling("--sweep-sampling", sweepSampling);
            if (robustnessSeeds < 0) {
                throw new AbsorbException("--robustness-seeds must be 0 or more, not " + robustnessSeeds + ".");
            }
            sweep = List.copyOf(sweep);
        }
    }

    private final LanguageModel lm;
    private final Path model, adapter, out;
    private final Settings s;
    private final Consumer<String> log, findings;

    private GraphDemo(LanguageModel lm, Path model, Path adapter, Settings settings, Path out, Consumer<String> log,
            Consumer<String> findings) {
        this.lm = lm;
        this.model = model;
        this.adapter = adapter;
        this.s = settings;
        this.out = out;
        this.log = log;
        this.findings = findings;
    }

    /**
     * Runs the demo on {@code lm} (loaded from {@code model}, with {@code adapter} or null), writing the runs' folders
     * under {@code out} and their sections into {@code report}; adds the claims and readings to {@code summary}.
     * Progress goes to {@code log}, each claim's line and each reading to {@code findings}.
     */
    public static void run(LanguageModel lm, Path model, Path adapter, Settings settings, Path out, HtmlReport report,
            Summary summary, Consumer<String> log, Consumer<String> findings) {
        new GraphDemo(lm, model, adapter, settings, out, log, findings).run(report, summary);
    }

    private void run(HtmlReport report, Summary summary) {
        TraceConfig base = new TraceConfig(model, adapter, "grid:4x4", null, true, "walk", s.context(), s.batch(), "all",
                s.window(), 40, s.seed(), null, "float32");
        TraceConfig sweepBase = base.withSampling(s.sweepSampling());
        boolean onWalks = s.sweepSampling().equals("walk");
        report.section("What this is");
        report.paragraph("Words are placed on the nodes of a graph and the model reads random walks over it (" + s.batch()
                + " sequences of " + s.context() + " words; fresh word assignments, shuffled with seed " + s.seed()
                + "). Its predictions and the residual stream after every block are recorded at log-spaced positions."
                + (onWalks ? "" : " The critical-context sweep, whose power law the claims test, reads rings as"
                        + " independent neighbour pairs \"u v\" (the study's ring variant); the same sweep on random"
                        + " walks is shown beside it.") + " On the grid, the attention heads are scored (induction and"
                + " previous-token scores) and the top " + ABLATED_HEADS + " induction heads ablated, against as many"
                + " random heads. Model: " + model + ".");
        GraphTrace.Result grid = single(base.withGraph("grid:4x4"), GRID, report, "4x4 grid");
        Ablation.Result ablation = ablation(base.withGraph("grid:4x4"), grid, CURVE_MAX, log);
        CircuitReports.writeAblation(ablation, model.toString(), out.resolve(ABLATION), report);
        NeighbourMixing.Result mixing = NeighbourMixing.run(grid.graph(), lm.config().hiddenSize(), 1, s.seed());
        report.paragraph("A baseline that needs no model. " + NeighbourMixing.reading(mixing) + String.format(Locale.ROOT,
                " The model's word means at %s align with the spectral embedding at R^2 = %.2f by the last position.",
                ablation.hook(), Ablation.r2(ablation.baseline(), ablation.hook())));
        GraphTrace.Result ring = single(base.withGraph("ring:10"), RING, report, "10-node ring");
        single(base.withGraph("hex:3x3"), "hex_3x3", report, "Hexagonal lattice (30 nodes)");
        Experiments.Sweep sweep = Experiments.sweep(sweepBase, s.sweep(), lm, log);
        TraceReports.writeSweep(sweep, out.resolve(SWEEP), report);
        Experiments.Sweep walks = onWalks ? sweep : Experiments.sweep(base, s.sweep(), lm, log);
        if (!onWalks) TraceReports.writeSweep(walks, out.resolve("sweep_walks"), report);
        Experiments.Conflict conflict = Experiments.conflict(base.withWords(null, false), lm, log);
        TraceReports.writeConflict(conflict, out.resolve(CONFLICT), report);

        List<Claim> measured = claims(grid, ring, sweep, conflict, ablation);
        List<List<Claim>> others = new ArrayList<>();
        List<Experiments.Sweep> otherWalkSweeps = new ArrayList<>();
        List<GraphTrace.Result> otherGrids = new ArrayList<>();
        long[] otherSeeds = new long[s.robustnessSeeds()];
        Consumer<String> quiet = line -> { }; // the robustness runs report only their claims
        for (int k = 1; k <= s.robustnessSeeds(); k++) {
            long other = s.seed() + k;
            otherSeeds[k - 1] = other;
            log.accept("robustness: the claims again with seed " + other);
            TraceConfig b = base.withSeed(other);
            Experiments.Sweep again = Experiments.sweep(b.withSampling(s.sweepSampling()), s.sweep(), lm, quiet);
            otherWalkSweeps.add(onWalks ? again : Experiments.sweep(b, s.sweep(), lm, quiet));
            GraphTrace.Result otherGrid = GraphTrace.run(b.withGraph("grid:4x4"), lm, quiet);
            otherGrids.add(otherGrid);
            others.add(claims(otherGrid, GraphTrace.run(b.withGraph("ring:10"), lm, quiet), again,
                    Experiments.conflict(b.withWords(null, false), lm, quiet),
                    ablation(b.withGraph("grid:4x4"), otherGrid, 0, quiet)));
        }
        List<Claim> claims = Claim.acrossSeeds(measured, others, otherSeeds);
        claims.forEach(c -> findings.accept(c.line()));
        summary.add(claims);
        ObjectNode readings = summary.readings();
        energyUnderThePapersDefinition(readings, report, grid, otherGrids, otherSeeds);
        if (!onWalks) {
            reading(readings, report, "graphs.power_law_walks", "t* on random walks over the same rings", walks.fit(),
                    otherWalkSweeps, otherSeeds, Experiments.Sweep::fit);
        }
        String reach = TraceReports.describeReach(walks);
        findings.accept(reach);
        readings.put("graphs.power_law_reach.method", reach);
        reading(readings, report, "graphs.power_law_reach", "t_reach on random walks", walks.reachFit(),
                otherWalkSweeps, otherSeeds, Experiments.Sweep::reachFit);
    }

    /**
     * The energy claim read with the study's normalised energy (word means not centred, averaged over dimensions) at
     * the same hook point: where its minimum falls against t*, with each seed.
     */
    private void energyUnderThePapersDefinition(ObjectNode readings, HtmlReport report, GraphTrace.Result grid,
            List<GraphTrace.Result> others, long[] seeds) {
        String name = "graphs.grid.energy_min_paper";
        StringBuilder line = new StringBuilder("Reading " + name + " (the energy claim with the study's normalised"
                + " energy, not centred): ");
        ArrayNode again = readings.putArray(name + ".other_seeds");
        int atStart = 0;
        for (int k = 0; k <= others.size(); k++) {
            GraphTrace.Result r = k == 0 ? grid : others.get(k - 1);
            String hook = TraceFigures.bestHook(r);
            double[] paper = r.hooks().get(hook).energyPaper(), centred = r.hooks().get(hook).energyNormalized();
            int at = r.positions()[argmin(paper)], centredAt = r.positions()[argmin(centred)];
            if (at == r.positions()[0]) atStart++;
            long seed = k == 0 ? s.seed() : seeds[k - 1];
            if (k == 0) {
                readings.put(name + ".position", at);
                readings.put(name + ".t_star", r.critical().tStar());
            } else {
                again.addObject().put("seed", seed).put("position", at).put("t_star", r.critical().tStar());
            }
            line.append(String.format(Locale.ROOT, "%sseed %d: lowest at position %d (centred: %d), t* = %.1f", k == 0 ? ""
                    : "; ", seed, at, centredAt, r.critical().tStar()));
        }
        String text = line + ". " + (atStart == others.size() + 1 ? "With the study's definition the energy is lowest"
                + " at the first measured position with every seed and rises from there: early word means are dominated"
                + " by a component they all share, which adds to their norm and to none of their differences, so"
                + " \"energy falls, then accuracy rises\" holds only with the centred definition, which the claim uses."
                : "With the study's definition the energy is lowest at the first measured position with " + atStart + " of "
                        + (others.size() + 1) + " seeds; the claim uses the centred definition.");
        log.accept(text);
        report.paragraph(text);
    }

    /** The intro of the report's summary section. */
    public static String summaryIntro(Settings s) {
        if (s.robustnessSeeds() == 0) return null;
        return "Each claim is measured on the runs above (seed " + s.seed() + ") and again with " + s.robustnessSeeds()
                + " more seeds (fresh walks and word assignments); a claim is marked as holding only if it holds in every"
                + " seed.";
    }

    /**
     * A power-law reading beside the claims: its R^2 and exponent with the demo's seed and with each other seed
     * (null where fewer than three graphs gave a value), logged and added to the report.
     */
    private void reading(ObjectNode readings, HtmlReport report, String name, String what, Fits.PowerLaw fit,
            List<Experiments.Sweep> others, long[] seeds, Function<Experiments.Sweep, Fits.PowerLaw> of) {
        if (fit != null) {
            readings.put(name + ".r2", fit.r2());
            readings.put(name + ".exponent", fit.b());
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "Reading %s (%s): seed %d: %s", name, what,
                s.seed(), fit == null ? "fewer than three graphs give a value" : String.format(Locale.ROOT,
                        "n^%.2f, R^2 %.3f", fit.b(), fit.r2())));
        ArrayNode again = readings.putArray(name + ".other_seeds");
        for (int k = 0; k < others.size(); k++) {
            Fits.PowerLaw o = of.apply(others.get(k));
            ObjectNode e = again.addObject();
            e.put("seed", seeds[k]);
            if (o == null) {
                e.putNull("r2");
                line.append(String.format(Locale.ROOT, "; seed %d: fewer than three graphs give a value", seeds[k]));
                continue;
            }
            e.put("r2", o.r2());
            e.put("exponent", o.b());
            line.append(String.format(Locale.ROOT, "; seed %d: n^%.2f, R^2 %.3f", seeds[k], o.b(), o.r2()));
        }
        String text = line + ".";
        findings.accept(text);
        report.paragraph(text);
    }

    private GraphTrace.Result single(TraceConfig c, String folder, HtmlReport report, String heading) {
        GraphTrace.Result r = GraphTrace.run(c, lm, log);
        Map<String, byte[]> figures = TraceReports.writeRunFiles(r, out.resolve(folder));
        TraceFigures.section(report, heading, r, figures);
        return r;
    }

    /**
     * The ablation of the claims on the grid run {@code grid} of {@code c}: the top {@link #ABLATED_HEADS} induction
     * heads zero-ablated, against {@link #RANDOM_DRAWS} random sets; the curve up to {@code curveMax} heads.
     */
    private Ablation.Result ablation(TraceConfig c, GraphTrace.Result grid, int curveMax, Consumer<String> progress) {
        HeadScores.Settings scoring = HeadScores.Settings.of(c.seed(), curveMax > 0 ? c : null);
        Ablation.Settings a = new Ablation.Settings(c, new Ablation.Selection("top-induction", null, ABLATED_HEADS),
                Ablation.Kind.ZERO, RANDOM_DRAWS, curveMax, scoring);
        return Ablation.run(a, lm, progress, grid);
    }

    /** The demo's claims, measured on one set of runs, each with the figure that shows it. */
    static List<Claim> claims(GraphTrace.Result grid, GraphTrace.Result ring, Experiments.Sweep s,
            Experiments.Conflict c, Ablation.Result a) {
        String gridHook = TraceFigures.bestHook(grid), ringHook = TraceFigures.bestHook(ring);
        int gridEnd = TraceFigures.lastSnapshot(grid), ringEnd = TraceFigures.lastSnapshot(ring);
        int conflictEnd = c.run().positions()[c.run().positions().length - 1];
        List<Claim> m = measured(grid, ring, s, c, a);
        String accuracy = "The black curve is the claim's accuracy (probability on the valid next words, softmax over the"
                + " whole vocabulary); its last point is the value claimed.";
        String power = TraceReports.powerCaption(s);
        String ablated = "4x4 grid: accuracy against context unablated (black), with the top induction heads ablated and"
                + " with as many random heads (mean over the draws); the claims compare the last points.";
        String pca = "The word means the claim measures, on their first two principal components, with the graph's edges"
                + " drawn: neighbours on the graph lie near each other in the first two components.";
        return List.of(
                m.get(0).shownBy(GRID + "/accuracy.png", "4x4 grid. " + accuracy),
                m.get(1).shownBy(RING + "/accuracy.png", "10-node ring. " + accuracy),
                m.get(2).shownBy(GRID + "/" + TraceFigures.pcaName(gridHook, gridEnd) + ".png", "4x4 grid, " + gridHook
                        + ", position " + gridEnd + ". " + pca),
                m.get(3).shownBy(RING + "/" + TraceFigures.pcaName(ringHook, ringEnd) + ".png", "10-node ring, "
                        + ringHook + ", position " + ringEnd + ". " + pca),
                m.get(4).shownBy(GRID + "/energy.png", "4x4 grid: the normalised Dirichlet energy of the word means at each"
                        + " hook point; the ring marks the lowest value at " + gridHook + ", the dashed line t*."),
                m.get(5).shownBy(SWEEP + "/power_law.png", power),
                m.get(6).shownBy(SWEEP + "/power_law.png", power),
                c.hook() == null ? m.get(7) : m.get(7).shownBy(CONFLICT + "/" + TraceFigures.conflictName(c.hook(),
                        conflictEnd) + ".png", TraceReports.conflictCaption(c)),
                c.hook() == null ? m.get(8) : m.get(8).shownBy(CONFLICT + "/" + TraceFigures.conflictName(c.hook(),
                        conflictEnd) + ".png", TraceReports.conflictCaption(c)),
                m.get(9).shownBy(ABLATION + "/ablation_accuracy.png", ablated),
                m.get(10).shownBy(ABLATION + "/ablation_accuracy.png", ablated));
    }

    private static List<Claim> measured(GraphTrace.Result grid, GraphTrace.Result ring, Experiments.Sweep s,
            Experiments.Conflict c, Ablation.Result a) {
        String gridHook = TraceFigures.bestHook(grid), ringHook = TraceFigures.bestHook(ring);
        GraphTrace.HookMeasures gm = grid.hooks().get(gridHook), rm = ring.hooks().get(ringHook);
        int minAt = grid.positions()[argmin(gm.energyNormalized())];
        Experiments.Alignment v = c.hook() != null ? c.r2().get(c.hook()) : Experiments.Alignment.NOT_MEASURED;
        double gridAcc = last(grid.accuracyFull()), ringAcc = last(ring.accuracyFull());
        double gridR2 = last(gm.spectralR2()), ringR2 = last(rm.spectralR2());
        double unablated = a.baseline().finalAccuracy(), inductionDrop = unablated - a.chosen().finalAccuracy();
        double randomDrop = unablated - a.randomMean();
        return List.of(
                Claim.of("graphs.grid.final_accuracy", gridAcc, ">= " + MIN_ACCURACY, gridAcc >= MIN_ACCURACY,
                        "whole-vocabulary accuracy at position " + last(grid.positions()) + " (it starts at "
                                + Claim.format(grid.accuracyFull()[0]) + ")"),
                Claim.of("graphs.ring.final_accuracy", ringAcc, ">= " + MIN_ACCURACY, ringAcc >= MIN_ACCURACY,
                        "whole-vocabulary accuracy at position " + last(ring.positions()) + " (it starts at "
                                + Claim.format(ring.accuracyFull()[0]) + ")"),
                Claim.of("graphs.grid.spectral_r2", gridR2, ">= " + MIN_SPECTRAL_R2, gridR2 >= MIN_SPECTRAL_R2,
                        "PC1-2 of the word means vs the grid's spectral embedding at " + gridHook),
                Claim.of("graphs.ring.spectral_r2", ringR2, ">= " + MIN_SPECTRAL_R2, ringR2 >= MIN_SPECTRAL_R2,
                        "PC1-2 of the word means vs the ring's spectral embedding at " + ringHook),
                Claim.of("graphs.grid.energy_min_before_rise", minAt, "<= t* = " + Claim.format(grid.critical().tStar()),
                        minAt <= grid.critical().tStar(), "position of the lowest normalized Dirichlet energy at "
                                + gridHook),
                Claim.of("graphs.power_law.r2", s.fit().r2(), ">= " + MIN_POWER_LAW_R2, s.fit().r2() >= MIN_POWER_LAW_R2,
                        "log-log fit of t* against n over " + s.fit().points() + " sizes, "
                                + s.runs().get(0).config().samplingInWords()),
                Claim.of("graphs.power_law.exponent", s.fit().b(), "> 0", s.fit().b() > 0,
                        String.format(Locale.ROOT, "95%% interval %.2f to %.2f", s.fit().ciLow(), s.fit().ciHigh())),
                Claim.of("graphs.conflict.natural_order_first", v.naturalOrderFirst(), "> 0", v.naturalOrderFirst() > 0,
                        "R^2 of PC1-2 with the weekly circle (" + Claim.format(v.naturalWeekPc12())
                                + ") minus with the in-context ring (" + Claim.format(v.contextRingPc12()) + ") at "
                                + c.hook()),
                Claim.of("graphs.conflict.context_ring_later", v.contextRingLater(), "> 0", v.contextRingLater() > 0,
                        "R^2 of PC3-4 with the in-context ring (" + Claim.format(v.contextRingPc34())
                                + ") minus with the weekly circle (" + Claim.format(v.naturalWeekPc34()) + ") at "
                                + c.hook()),
                Claim.of("graphs.ablation.induction_drop", inductionDrop, ">= " + MIN_INDUCTION_DROP + " x unablated = "
                        + Claim.format(MIN_INDUCTION_DROP * unablated), inductionDrop >= MIN_INDUCTION_DROP * unablated,
                        "4x4 grid, final accuracy unablated (" + Claim.format(unablated) + ") minus with the top "
                                + ABLATED_HEADS + " induction heads (" + Ablation.names(a.chosen().heads())
                                + ") zero-ablated at attn.z (" + Claim.format(a.chosen().finalAccuracy()) + ")"),
                Claim.of("graphs.ablation.random_drop", randomDrop, "<= " + MAX_RANDOM_SHARE + " x induction drop = "
                        + Claim.format(MAX_RANDOM_SHARE * inductionDrop), randomDrop <= MAX_RANDOM_SHARE * inductionDrop,
                        "final accuracy unablated minus with " + ABLATED_HEADS + " random heads zero-ablated (mean over "
                                + a.random().size() + " draws from " + a.randomFrom() + ": "
                                + Claim.format(a.randomMean()) + " +- " + Claim.format(a.randomSd()) + ")"));
    }

    private static double last(double[] v) {
        return v[v.length - 1];
    }

    private static int last(int[] v) {
        return v[v.length - 1];
    }

    private static int argmin(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (!Double.isNaN(v[i]) && (Double.isNaN(v[best]) || v[i] < v[best])) best = i;
        return best;
    }
}
