package absorb.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "newnews", mixinStandardHelpOptions = true,
        description = "The New News benchmark: validate a dataset file.", subcommands = {NewsValidateCommand.class})
final class NewsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }
}
