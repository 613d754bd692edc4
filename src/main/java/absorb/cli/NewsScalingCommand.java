package absorb.cli;

import absorb.news.NewsScaling;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scaling", mixinStandardHelpOptions = true,
        description = "Accuracy after System-2 fine-tuning against training compute, per model size, across runs of"
                + " newnews run; the compute each size needs to reach a target accuracy.")
final class NewsScalingCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, split = ",", paramLabel = "LIST", description = "Run folders of newnews run.")
    List<Path> runs;

    @Option(names = "--protocol", defaultValue = "self-qa", paramLabel = "P", description = "The protocol plotted (self-qa).")
    String protocol;

    @Option(names = "--target", paramLabel = "ACC",
            description = "Target accuracy (default: half way from the runs' no-news accuracy to their ICL accuracy).")
    Double target;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Override
    public Integer call() {
        NewsScaling.Result r = NewsScaling.of(runs, protocol, target);
        NewsScaling.write(r, protocol, out);
        for (NewsScaling.Trend t : r.trends()) {
            System.out.printf(Locale.ROOT, "%,d parameters: %d points, %s per decade of FLOPs; %s to reach %.3f%n",
                    t.parameters(), t.points(), Double.isNaN(t.b()) ? "n/a" : String.format(Locale.ROOT, "%+.3f", t.b()),
                    Double.isNaN(t.flopsAtTarget()) ? "not reached" : String.format(Locale.ROOT, "%.3g FLOPs%s",
                            t.flopsAtTarget(), t.extrapolated() ? " (extrapolated)" : ""), r.target());
        }
        System.out.println("wrote " + out.resolve("report.html"));
        return 0;
    }
}
