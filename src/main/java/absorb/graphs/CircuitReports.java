package absorb.graphs;

import absorb.io.AtomicFile;
import absorb.report.HtmlReport;
import java.nio.file.Path;
import java.util.Map;

/**
 * The run folders of the circuit experiments: what each measured as JSON, its figures and its report.html (the figures
 * and sections themselves are {@link CircuitFigures}'s).
 */
public final class CircuitReports {
    private CircuitReports() {}

    /** heads.json, the heat maps and report.html of a head-score measurement. */
    public static void writeHeads(HeadScores.Report r, String model, Path dir) {
        AtomicFile.writeJson(dir.resolve("heads.json"), HeadScores.toJson(r, model), true);
        Map<String, byte[]> figures = CircuitFigures.heads(r, dir);
        HtmlReport report = new HtmlReport("Attention heads of " + model);
        CircuitFigures.headsSection(report, r, figures);
        report.write(dir.resolve("report.html"));
    }

    /** ablation.json, heads.json, the figures and report.html of an ablation run. */
    public static void writeAblation(Ablation.Result r, String model, Path dir) {
        HtmlReport report = new HtmlReport("Head ablation: " + model);
        writeAblation(r, model, dir, report);
        report.write(dir.resolve("report.html"));
    }

    /** ablation.json, heads.json and the figures of an ablation run, its sections in {@code report}. */
    public static void writeAblation(Ablation.Result r, String model, Path dir, HtmlReport report) {
        AtomicFile.writeJson(dir.resolve("config.json"), r.settings().trace().toJson()
                .put("ablation", r.settings().kind().toString()).put("selection", r.chosen().name())
                .put("draws", r.settings().draws()).put("curve_max", r.settings().curveMax()), true);
        AtomicFile.writeJson(dir.resolve("ablation.json"), Ablation.toJson(r), true);
        if (r.scores() != null) {
            AtomicFile.writeJson(dir.resolve("heads.json"), HeadScores.toJson(r.scores(), model), true);
            CircuitFigures.headsSection(report, r.scores(), CircuitFigures.heads(r.scores(), dir));
        }
        CircuitFigures.ablationSection(report, r, CircuitFigures.ablation(r, dir));
    }

    /** mixing.json, the PCA figures and report.html of the neighbour-mixing baseline. */
    public static void writeMixing(NeighbourMixing.Result r, Path dir) {
        var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        o.put("graph", r.graph().name());
        o.put("dim", r.dim());
        o.put("seed", r.seed());
        o.put("definition", "X_0 ~ N(0, 1)^{n x d}; one round X <- X + D^-1 A X (each node plus the mean of its"
                + " neighbours); measured as word means are: PCA, R^2 of PC1-2 against the two leading Laplacian"
                + " eigenvectors, Dirichlet energy (normalized: centred, unit Frobenius norm; paper: uncentred, unit"
                + " Frobenius norm, mean over dimensions)");
        var rounds = o.putArray("rounds");
        for (NeighbourMixing.Round round : r.rounds()) {
            var e = rounds.addObject();
            e.put("round", round.round());
            TraceOutput.doubles(e.putArray("explained_variance"), round.explained());
            absorb.report.Claim.putNumber(e, "spectral_r2", round.spectralR2());
            absorb.report.Claim.putNumber(e, "energy_normalized", round.energyNormalized());
            absorb.report.Claim.putNumber(e, "energy_paper", round.energyPaper());
        }
        AtomicFile.writeJson(dir.resolve("mixing.json"), o, true);
        HtmlReport report = new HtmlReport("Neighbour mixing on " + r.graph().name());
        report.section("Neighbour mixing of random vectors");
        report.paragraph(NeighbourMixing.reading(r));
        CircuitFigures.mixing(r, dir).forEach((caption, png) -> report.figure(png, caption));
        report.write(dir.resolve("report.html"));
    }

    /** patching.json, the heat maps and report.html of activation patching. */
    public static void writePatching(Patching.Result r, String model, Path dir) {
        AtomicFile.writeJson(dir.resolve("config.json"), r.settings().trace().toJson(), true);
        AtomicFile.writeJson(dir.resolve("patching.json"), Patching.toJson(r), true);
        HtmlReport report = new HtmlReport("Activation patching: " + model);
        report.section("Activation patching from " + r.graphA().name() + " into " + (r.settings().graphB() == null
                ? "the same graph with its words shuffled" : r.graphB().name()));
        report.paragraph(Patching.reading(r));
        CircuitFigures.patching(r, dir).forEach((caption, png) -> report.figure(png, caption));
        report.write(dir.resolve("report.html"));
    }

    /** causal.json and report.html of the causal test. */
    public static void writeSteering(Steering.Result r, Path dir) {
        AtomicFile.writeJson(dir.resolve("causal.json"), Steering.toJson(r), true);
        HtmlReport report = new HtmlReport("Causal test: moving a representation within PC1-2");
        report.section("Causal test on " + r.config().graph());
        report.paragraph(Steering.reading(r));
        report.write(dir.resolve("report.html"));
    }
}
