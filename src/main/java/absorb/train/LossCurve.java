package absorb.train;

import absorb.report.Figure;
import absorb.report.Palette;
import absorb.report.Plot;
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
        Plot.Style style = Plot.Style.of(Palette.BLUE).marker(x.length <= 40 ? Plot.Marker.CIRCLE : Plot.Marker.NONE);
        Figure.of(new Plot("Training loss against the optimizer step").x("optimizer step", Plot.Scale.LINEAR)
                .y("loss (mean over target tokens)", Plot.Scale.LINEAR).line(null, x, y, style)).writePng(base);
    }
}
