package absorb.cli;

import absorb.news.NewsDataset;
import absorb.news.NewsValidator;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    @Option(names = "--verbose", description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() {
        Path f = file != null ? file : Home.resolve(NewsDataset.BUNDLED);
        boolean full = benchmark != null ? benchmark : file == null;
        NewsValidator.Report r = NewsValidator.validate(f, full);
        for (String p : r.problems()) System.out.println("problem: " + p);
        int[] pos = r.answerPositions();
        System.out.printf(Locale.ROOT, "%s: %d items, %d questions; answers A/B/C/D %d/%d/%d/%d; correct option"
                + " strictly longest in %d%s%n", f, r.items(), r.questions(), pos[0], pos[1], pos[2], pos[3],
                r.correctIsLongest(), full ? "; full-benchmark counts checked" : "");
        if (!r.ok()) {
            System.out.println(r.problems().size() + " problem(s).");
            return 2;
        }
        System.out.println("ok");
        return 0;
    }
}
