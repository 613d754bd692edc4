package absorb.cli;

import absorb.AbsorbException;
import absorb.analysis.Fits;
import absorb.graphs.Experiments;
import absorb.graphs.GraphTrace;
import absorb.graphs.TraceConfig;
import absorb.graphs.TraceFigures;
import absorb.model.AtomicFile;
import absorb.model.Compute;
import absorb.model.LanguageModel;
import absorb.report.HtmlReport;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "In-context representations on the bundled model, offline, in a few minutes: grid, ring and"
                + " hexagonal lattice runs, the critical-context sweep with its power law, the semantic conflict, one"
                + " report.html and a summary.json of the claims.")
final class DemoCommand implements Callable<Integer> {
    /** The bundled model, relative to absorb's folder. */
    static final String BUNDLED = "models/graphs-small";

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder (default: the bundled " + BUNDLED + ").")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter to apply to the model.")
    Path adapter;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Output folder (runs/demo).")
    Path out;

    @Option(names = "--context", defaultValue = "256", paramLabel = "N",
            description = "Word tokens per sequence (256, the length of most of the bundled model's training).")
    int context;

    @Option(names = "--window", defaultValue = "100", paramLabel = "N", description = "Positions per word mean (100).")
    int window;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B",
            description = "Sequences per run (64: with 16, where accuracy crosses one half moves by several positions"
                    + " between seeds, enough to decide the critical-context claims by chance).")
    int batch;

    @Option(names = "--sweep", defaultValue = "ring:6,ring:8,ring:10,ring:12,ring:16,ring:20", split = ",",
            paramLabel = "LIST", description = "Graphs of the critical-context sweep (at least four).")
    List<String> sweep;

    @Option(names = "--sweep-sampling", defaultValue = "pairs", paramLabel = "S",
            description = "Sequences of the sweep the power-law claims are measured on: pairs (independent neighbour"
                    + " pairs, the study's ring variant; default) or walk. With pairs the sweep also runs on walks, reported"
                    + " beside.")
    String sweepSampling;

    @Option(names = "--seed", defaultValue = "7", paramLabel = "S", description = "Seed for walks and word assignments (7).")
    long seed;

    @Option(names = "--robustness-seeds", defaultValue = "3", paramLabel = "N",
            description = "Measure every claim again with N more seeds (walks and word assignments) and report in how"
                    + " many it holds (3; 0 to skip).")
    int robustnessSeeds;

    @Mixin
    ThreadOptions threads;

    /** Thresholds the demo's claims are held to. */
    static final double MIN_ACCURACY = 0.8, MIN_SPECTRAL_R2 = 0.5, MIN_POWER_LAW_R2 = 0.9;

    @Override
    public Integer call() {
        if (sweep.size() < 4) throw new AbsorbException("--sweep needs at least four graphs.");
        Experiments.checkGraphs(sweep);
        TraceConfig.checkSampling("--sweep-sampling", sweepSampling);
        if (robustnessSeeds < 0) throw new AbsorbException("--robustness-seeds must be 0 or more, not " + robustnessSeeds + ".");
        Path dir = model != null ? model : bundledModel();
        threads.apply();
        long t0 = System.nanoTime();
        ObjectMapper json = new ObjectMapper();
        ObjectNode summary = json.createObjectNode();
        summary.put("model", dir.toString());
        ArrayNode claims = summary.putArray("claims");
        int heldAtSeed = 0, heldEverywhere = 0;
        HtmlReport report = new HtmlReport("absorb demo: in-context representations of a graph");
        try (LanguageModel lm = LanguageModel.load(dir, adapter, Compute.CPU_FLOAT32)) {
            TraceConfig base = new TraceConfig(dir, adapter, "grid:4x4", null, true, "walk", context, batch, "all", window, 40,
                    seed, null, "float32");
            TraceConfig sweepBase = base.withSampling(sweepSampling);
            boolean onWalks = sweepSampling.equals("walk");
            report.section("What this is");
            report.paragraph("Words are placed on the nodes of a graph and the model reads random walks over it (" + batch
                    + " sequences of " + context + " words; fresh word assignments, shuffled with seed " + seed + "). Its"
                    + " predictions and the residual stream after every block are recorded at log-spaced positions."
                    + (onWalks ? "" : " The critical-context sweep, whose power law the claims test, reads rings as"
                            + " independent neighbour pairs \"u v\" (the study's ring variant); the same sweep on random"
                            + " walks is shown beside it.") + " Model: " + dir + ".");
            GraphTrace.Result grid = single(base.withGraph("grid:4x4"), lm, "grid_4x4", report, "4x4 grid");
            GraphTrace.Result ring = single(base.withGraph("ring:10"), lm, "ring_10", report, "10-node ring");
            single(base.withGraph("hex:3x3"), lm, "hex_3x3", report, "Hexagonal lattice (30 nodes)");
            Experiments.Sweep s = Experiments.sweep(sweepBase, sweep, lm, DemoCommand::log);
            GraphTraceCommand.writeSweep(s, out.resolve("sweep"), report);
            Experiments.Sweep walks = onWalks ? s : Experiments.sweep(base, sweep, lm, DemoCommand::log);
            if (!onWalks) GraphTraceCommand.writeSweep(walks, out.resolve("sweep_walks"), report);
            Experiments.Conflict c = Experiments.conflict(base.withWords(null, false), lm, DemoCommand::log);
            GraphTraceCommand.writeConflict(c, out.resolve("conflict"), report);

            List<Claim> measured = claims(grid, ring, s, c);
            List<List<Claim>> others = new ArrayList<>();
            List<Experiments.Sweep> otherWalkSweeps = new ArrayList<>();
            for (int k = 1; k <= robustnessSeeds; k++) {
                long other = seed + k;
                log("robustness: the claims again with seed " + other);
                TraceConfig b = base.withSeed(other);
                Experiments.Sweep again = Experiments.sweep(b.withSampling(sweepSampling), sweep, lm, DemoCommand::quiet);
                otherWalkSweeps.add(onWalks ? again : Experiments.sweep(b, sweep, lm, DemoCommand::quiet));
                others.add(claims(GraphTrace.run(b.withGraph("grid:4x4"), lm, DemoCommand::quiet),
                        GraphTrace.run(b.withGraph("ring:10"), lm, DemoCommand::quiet), again,
                        Experiments.conflict(b.withWords(null, false), lm, DemoCommand::quiet)));
            }
            List<String> lines = new ArrayList<>();
            List<Boolean> verdicts = new ArrayList<>();
            for (int i = 0; i < measured.size(); i++) {
                Claim m = measured.get(i);
                ObjectNode o = claims.addObject();
                o.put("name", m.name());
                putNumber(o, "value", m.value());
                o.put("threshold", m.threshold());
                o.put("holds", m.holds());
                o.put("measured", m.what());
                int held = m.holds() ? 1 : 0;
                ArrayNode again = o.putArray("other_seeds");
                for (int k = 0; k < others.size(); k++) {
                    Claim x = others.get(k).get(i);
                    held += x.holds() ? 1 : 0;
                    ObjectNode e = again.addObject();
                    e.put("seed", seed + k + 1);
                    putNumber(e, "value", x.value());
                    e.put("holds", x.holds());
                }
                String across = held + " of " + (others.size() + 1) + " seeds";
                o.put("holds_across_seeds", across);
                String line = String.format(Locale.ROOT, "%s = %s (threshold %s): %s%s. %s.", m.name(), f(m.value()),
                        m.threshold(), m.holds() ? "holds" : "does NOT hold",
                        others.isEmpty() ? "" : " (in " + across + ")", m.what());
                log(line);
                lines.add(line);
                verdicts.add(held == others.size() + 1);
                if (m.holds()) heldAtSeed++;
                if (held == others.size() + 1) heldEverywhere++;
            }
            ObjectNode readings = summary.putObject("readings");
            if (!onWalks) {
                reading(readings, report, "graphs.power_law_walks", "t* on random walks over the same rings", walks.fit(),
                        otherWalkSweeps, Experiments.Sweep::fit);
            }
            String reach = GraphTraceCommand.describeReach(walks);
            log(reach);
            readings.put("graphs.power_law_reach.method", reach);
            reading(readings, report, "graphs.power_law_reach", "t_reach on random walks", walks.reachFit(),
                    otherWalkSweeps, Experiments.Sweep::reachFit);
            report.section("Summary: what the demo shows");
            if (robustnessSeeds > 0) {
                report.paragraph("Each claim is measured on the runs above (seed " + seed + ") and again with "
                        + robustnessSeeds + " more seeds (fresh walks and word assignments); a claim is marked as holding"
                        + " only if it holds in every seed.");
            }
            for (int i = 0; i < lines.size(); i++) report.verdict(lines.get(i), verdicts.get(i));
            summary.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        }
        AtomicFile.writeJson(out.resolve("summary.json"), summary, true);
        report.write(out.resolve("report.html"));
        log(String.format(Locale.ROOT, "%d of %d claims hold with seed %d%s; report: %s, summary: %s", heldAtSeed,
                claims.size(), seed, robustnessSeeds > 0 ? String.format(Locale.ROOT, ", %d in all %d seeds",
                        heldEverywhere, robustnessSeeds + 1) : "", out.resolve("report.html"), out.resolve("summary.json")));
        return 0;
    }

    /**
     * A power-law reading beside the claims: its R^2 and exponent with the demo's seed and with each other seed
     * (null where fewer than three graphs gave a value), logged and added to the report.
     */
    private void reading(ObjectNode readings, HtmlReport report, String name, String what, Fits.PowerLaw fit,
            List<Experiments.Sweep> others, java.util.function.Function<Experiments.Sweep, Fits.PowerLaw> of) {
        if (fit != null) {
            readings.put(name + ".r2", fit.r2());
            readings.put(name + ".exponent", fit.b());
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "Reading %s (%s): seed %d: %s", name, what, seed,
                fit == null ? "fewer than three graphs give a value" : String.format(Locale.ROOT, "n^%.2f, R^2 %.3f",
                        fit.b(), fit.r2())));
        ArrayNode again = readings.putArray(name + ".other_seeds");
        for (int k = 0; k < others.size(); k++) {
            Fits.PowerLaw o = of.apply(others.get(k));
            ObjectNode e = again.addObject();
            e.put("seed", seed + k + 1);
            if (o == null) {
                e.putNull("r2");
                line.append(String.format(Locale.ROOT, "; seed %d: fewer than three graphs give a value", seed + k + 1));
                continue;
            }
            e.put("r2", o.r2());
            e.put("exponent", o.b());
            line.append(String.format(Locale.ROOT, "; seed %d: n^%.2f, R^2 %.3f", seed + k + 1, o.b(), o.r2()));
        }
        String text = line + ".";
        log(text);
        report.paragraph(text);
    }

    private GraphTrace.Result single(TraceConfig c, LanguageModel lm, String folder, HtmlReport report, String heading) {
        GraphTrace.Result r = GraphTrace.run(c, lm, DemoCommand::log);
        Map<String, byte[]> figures = GraphTraceCommand.writeRunFiles(r, out.resolve(folder));
        TraceFigures.section(report, heading, r, figures);
        return r;
    }

    /** One claim of the demo: its measured value, the threshold it is held to, and whether it holds. */
    record Claim(String name, double value, String threshold, boolean holds, String what) {}

    /** The demo's claims, measured on one set of runs. */
    static List<Claim> claims(GraphTrace.Result grid, GraphTrace.Result ring, Experiments.Sweep s, Experiments.Conflict c) {
        String gridHook = TraceFigures.bestHook(grid), ringHook = TraceFigures.bestHook(ring);
        GraphTrace.HookMeasures gm = grid.hooks().get(gridHook), rm = ring.hooks().get(ringHook);
        int minAt = grid.positions()[argmin(gm.energyNormalized())];
        double[] v = c.hook() != null ? c.r2().get(c.hook()) : new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        return List.of(
                new Claim("graphs.grid.final_accuracy", last(grid.accuracyFull()), ">= " + MIN_ACCURACY,
                        last(grid.accuracyFull()) >= MIN_ACCURACY, "whole-vocabulary accuracy at position "
                                + last(grid.positions()) + " (it starts at " + f(grid.accuracyFull()[0]) + ")"),
                new Claim("graphs.ring.final_accuracy", last(ring.accuracyFull()), ">= " + MIN_ACCURACY,
                        last(ring.accuracyFull()) >= MIN_ACCURACY, "whole-vocabulary accuracy at position "
                                + last(ring.positions()) + " (it starts at " + f(ring.accuracyFull()[0]) + ")"),
                new Claim("graphs.grid.spectral_r2", last(gm.spectralR2()), ">= " + MIN_SPECTRAL_R2,
                        last(gm.spectralR2()) >= MIN_SPECTRAL_R2,
                        "PC1-2 of the word means vs the grid's spectral embedding at " + gridHook),
                new Claim("graphs.ring.spectral_r2", last(rm.spectralR2()), ">= " + MIN_SPECTRAL_R2,
                        last(rm.spectralR2()) >= MIN_SPECTRAL_R2,
                        "PC1-2 of the word means vs the ring's spectral embedding at " + ringHook),
                new Claim("graphs.grid.energy_min_before_rise", minAt, "<= t* = " + f(grid.critical().tStar()),
                        minAt <= grid.critical().tStar(), "position of the lowest normalized Dirichlet energy at " + gridHook),
                new Claim("graphs.power_law.r2", s.fit().r2(), ">= " + MIN_POWER_LAW_R2, s.fit().r2() >= MIN_POWER_LAW_R2,
                        "log-log fit of t* against n over " + s.fit().points() + " sizes, "
                                + s.runs().get(0).config().samplingInWords()),
                new Claim("graphs.power_law.exponent", s.fit().b(), "> 0", s.fit().b() > 0,
                        String.format(Locale.ROOT, "95%% interval %.2f to %.2f", s.fit().ciLow(), s.fit().ciHigh())),
                new Claim("graphs.conflict.natural_order_first", v[1] - v[0], "> 0", v[1] - v[0] > 0,
                        "R^2 of PC1-2 with the weekly circle (" + f(v[1]) + ") minus with the in-context ring (" + f(v[0])
                                + ") at " + c.hook()),
                new Claim("graphs.conflict.context_ring_later", v[2] - v[3], "> 0", v[2] - v[3] > 0,
                        "R^2 of PC3-4 with the in-context ring (" + f(v[2]) + ") minus with the weekly circle (" + f(v[3])
                                + ") at " + c.hook()));
    }

    /** {@code value} under {@code key}, or JSON null where it was not measured (NaN). */
    private static void putNumber(ObjectNode o, String key, double value) {
        if (Double.isNaN(value)) o.putNull(key);
        else o.put(key, value);
    }

    private static void quiet(String line) {
        // the robustness runs report only their claims
    }

    static Path bundledModel() {
        Path p = Home.resolve(Path.of(BUNDLED));
        if (!Files.isDirectory(p)) {
            throw new AbsorbException("The bundled model " + p + " is missing; run absorb through its ./absorb launcher,"
                    + " or rebuild the model as docs/toy-worlds.md describes.");
        }
        return p;
    }

    static void log(String line) {
        System.err.println(line);
    }

    static String f(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.3f", v);
    }

    static double last(double[] v) {
        return v[v.length - 1];
    }

    static int last(int[] v) {
        return v[v.length - 1];
    }

    static int argmin(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (!Double.isNaN(v[i]) && (Double.isNaN(v[best]) || v[i] < v[best])) best = i;
        return best;
    }
}
