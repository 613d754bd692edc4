package absorb.cli;

import absorb.news.NewsDataset;
import absorb.news.NewsShortcuts;
import absorb.news.NewsShortcuts.Figures;
import absorb.news.NewsShortcuts.SharedValue;
import absorb.news.NewsValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a New News file and report every problem with its id (exit code 2 if any).")
final class NewsValidateCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
            description = "The file to check (default: the bundled benchmark, data/newnews/news.jsonl).")
    Path file;

    @Option(names = "--benchmark", negatable = true, paramLabel = "",
            description = "Also check the full benchmark's counts (15 items per domain, 5 questions each, balanced"
                    + " answers). On by default for the bundled file, off for others.")
    Boolean benchmark;

    @Option(names = "--shortcuts",
            description = "Also measure the option-only shortcuts per domain: the numeric keys' value rank, the accuracy"
                    + " of heuristics that read only the options (chance 0.25), values shared across an item's"
                    + " questions. Measured on any domain (control sets included).")
    boolean shortcuts;

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path f = file != null ? file : Home.resolve(NewsDataset.BUNDLED);
        boolean full = benchmark != null ? benchmark : file == null;
        NewsValidator.Report r = NewsValidator.validate(f, full);
        PrintWriter out = spec.commandLine().getOut();
        for (String p : r.problems()) out.println("problem: " + p);
        int[] pos = r.answerPositions();
        out.printf(Locale.ROOT, "%s: %d items, %d questions; answers A/B/C/D %d/%d/%d/%d; correct option"
                + " strictly longest in %d%s%n", f, r.items(), r.questions(), pos[0], pos[1], pos[2], pos[3],
                r.correctIsLongest(), full ? "; full-benchmark counts checked" : "");
        out.println(r.ok() ? "ok" : r.problems().size() + " problem(s).");
        out.flush();
        // the shortcuts need well-formed questions, not the benchmark's domains or counts
        if (shortcuts) out.print(shortcutTable(NewsShortcuts.measure(NewsDataset.load(f, true))));
        out.flush();
        return r.ok() ? 0 : 2;
    }

    /** The figures as a table with a column per domain, then the shared values (or "none"). */
    static String shortcutTable(List<Figures> domains) {
        StringBuilder out = new StringBuilder("\noption-only shortcuts (accuracy over all questions; chance "
                + NewsShortcuts.CHANCE + "):\n");
        row(out, "", domains, Figures::domain);
        row(out, "questions", domains, d -> String.valueOf(d.questions()));
        row(out, "numeric", domains, d -> String.valueOf(d.numeric()));
        for (int rank = 1; rank <= NewsValidator.OPTIONS; rank++) {
            int k = rank;
            row(out, "key rank " + k, domains, d -> d.numeric() == 0 ? "-"
                    : d.keyRanks().get(k - 1) + " (" + fixed(100 * d.rankShare(k), 0) + "%)");
        }
        for (String h : NewsShortcuts.HEURISTICS) {
            row(out, h, domains, d -> fixed(d.accuracy().get(h), 3));
        }
        row(out, "chance", domains, d -> fixed(NewsShortcuts.CHANCE, 3));
        out.append("shared values (a number in the options of 3+ questions of an item, not -10..10):\n");
        List<SharedValue> shared = domains.stream().flatMap(d -> d.sharedValues().stream()).toList();
        if (shared.isEmpty()) out.append("  none\n");
        for (SharedValue v : shared) out.append("  ").append(v.describe()).append('\n');
        return out.toString();
    }

    /** {@code x} rounded from its exact binary value, half to even, as Python's {@code "%.3f"} does. */
    private static String fixed(double x, int digits) {
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static void row(StringBuilder out, String label, List<Figures> domains, Function<Figures, String> cell) {
        out.append(String.format(Locale.ROOT, "  %-20s", label));
        for (Figures d : domains) {
            out.append(String.format(Locale.ROOT, " %" + Math.max(12, d.domain().length()) + "s", cell.apply(d)));
        }
        out.append('\n');
    }
}
