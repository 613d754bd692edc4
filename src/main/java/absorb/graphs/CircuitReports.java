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
}
