package absorb.cli;

import absorb.AbsorbException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The absorb command line: one subcommand per job, each a thin class that parses, calls and prints. */
@Command(
        name = "absorb",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Measure and improve how language models take in new information, in their weights and in"
                + " their context.",
        subcommands = {
            DemoCommand.class,
            InfoCommand.class,
            ForwardCommand.class,
            GenerateCommand.class,
            BenchCommand.class,
            FinetuneCommand.class,
            MergeCommand.class,
            GraphTraceCommand.class,
            ToyCommand.class,
            NewsCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code: 0 done, 2 bad input (one sentence on stderr), 1 a bug. */
    public static int run(String... args) {
        return run(new PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, with error messages going to {@code err}. */
    public static int run(PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter out = cmd.getErr();
            Throwable user = userError(e);
            boolean verbose = verbose(parsed);
            if (user != null) {
                // one sentence per line: a command that found several problems reports each
                user.getMessage().lines().forEach(line -> out.println("absorb: " + line));
                if (verbose) e.printStackTrace(out);
                out.flush();
                return 2;
            }
            out.println("absorb: internal error: " + e + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) e.printStackTrace(out);
            out.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter out = e.getCommandLine().getErr();
            out.println("absorb: " + e.getMessage());
            out.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            out.flush();
            return 2;
        });
        return cli.execute(args);
    }

    /** Whether --verbose was given to the command that ran (or any command on the way to it). */
    private static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    private static Throwable userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AbsorbException) return t;
        }
        return null;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"absorb " + (v == null ? "(development build)" : v)};
        }
    }
}
