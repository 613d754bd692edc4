package absorb.train;

import absorb.report.Charts;
import java.nio.file.Path;
import java.util.List;

/** The training loss against the optimizer step, as a PNG. */
final class LossCurve {
    private LossCurve() {}

    static void write(List<Trainer.StepMetrics> history, Path png) {
        if (history.isEmpty()) return;
        double[] x = history.stream().mapToDouble(Trainer.StepMetrics::step).toArray();
        double[] y = history.stream().mapToDouble(Trainer.StepMetrics::loss).toArray();
        String name = png.getFileName().toString();
        Path base = png.resolveSibling(name.endsWith(".png") ? name.substring(0, name.length() - 4) : name);
        Charts.write(Charts.lines("Training loss", "optimizer step", "loss (mean over target tokens)",
                List.of(new Charts.Series("loss", x, y)), false), base, false);
    }
}
