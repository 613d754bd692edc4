package absorb.cli;

import absorb.AbsorbException;
import absorb.news.NewsExport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "The generated data as TRL's SFT JSONL (--format trl, from --run), or the benchmark as"
                + " lm-evaluation-harness tasks (--format lm-eval).")
final class NewsExportCommand implements Callable<Integer> {
    @Option(names = "--format", required = true, paramLabel = "F", description = "trl or lm-eval.")
    String format;

    @Option(names = "--run", paramLabel = "DIR", description = "A run folder of newnews run or newnews generate (trl).")
    Path run;

    @Mixin
    NewsOptions news;

    @Option(names = "--permutations", defaultValue = "4", paramLabel = "K",
            description = "Cyclic option orders per question in the letter tasks (4).")
    int permutations;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Override
    public Integer call() {
        switch (format) {
            case "trl" -> {
                if (run == null) throw new AbsorbException("--format trl exports a run's generated data; give --run DIR.");
                Path r = java.nio.file.Files.isDirectory(run.resolve("generate")) ? run : run.getParent();
                for (Path f : NewsExport.trl(r, out)) System.out.println("wrote " + f);
            }
            case "lm-eval" -> {
                if (permutations < 1 || permutations > 4) throw new AbsorbException("--permutations must be 1 to 4.");
                List<String> tasks = NewsExport.lmEval(news.items(), news.prompts(), permutations, out);
                System.out.println("wrote " + tasks.size() + " tasks to " + out + ": " + String.join(", ", tasks));
                System.out.println("run them with lm_eval --include_path " + out + " --tasks " + tasks.get(0) + ",...");
            }
            default -> throw new AbsorbException("--format " + format + " is not a format; use trl or lm-eval.");
        }
        return 0;
    }
}
