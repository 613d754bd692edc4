package absorb.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "newnews", mixinStandardHelpOptions = true,
        description = "The New News benchmark and System-2 Fine-Tuning: validate, evaluate, generate, train, run.",
        subcommands = {NewsValidateCommand.class, NewsEvalCommand.class, NewsGenerateCommand.class,
            NewsTrainCommand.class, NewsRunCommand.class, NewsScalingCommand.class, NewsExportCommand.class})
final class NewsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }
}
