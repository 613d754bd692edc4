package absorb.cli;

import absorb.AbsorbException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
            HeadsCommand.class,
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
        return run(new PrintWriter(System.out, true), err, args);
    }

    /**
     * As {@link #run(String...)}, with the results of the commands that report through the command line going to
     * {@code results} and error messages to {@code err} (progress goes to the process's standard error).
     */
    public static int run(PrintWriter results, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(results);
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
            out.println("absorb: " + parameterProblem(e));
            out.println("Run '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            out.flush();
            return 2;
        });
        return cli.execute(args);
    }

    /**
     * What was wrong with the command line, in one sentence. An unknown option or command is named with the nearest
     * known ones, even where picocli would first complain of a required option the misspelling left out.
     */
    static String parameterProblem(CommandLine.ParameterException e) {
        CommandLine cmd = e.getCommandLine();
        List<String> unmatched = cmd.getUnmatchedArguments();
        if (unmatched.isEmpty()) return e.getMessage();
        String root = cmd.getCommandSpec().root().name(), name = cmd.getCommandSpec().qualifiedName(" ");
        name = name.equals(root) ? "" : name.substring(root.length() + 1);
        String first = unmatched.get(0);
        if (first.startsWith("-")) {
            String typed = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
            List<String> options = new ArrayList<>();
            cmd.getCommandSpec().options().forEach(o -> options.addAll(List.of(o.names())));
            return name + " has no option " + typed + suggestion(nearest(typed, options));
        }
        if (!cmd.getSubcommands().isEmpty() && cmd.getCommandSpec().positionalParameters().isEmpty()) {
            return (name.isEmpty() ? "there is no command " : name + " has no command ") + first
                    + suggestion(nearest(first, cmd.getSubcommands().keySet()));
        }
        return (name.isEmpty() ? "absorb" : name) + " takes no argument " + first + ".";
    }

    private static String suggestion(List<String> near) {
        if (near.isEmpty()) return ".";
        return "; did you mean " + (near.size() == 1 ? near.get(0)
                : String.join(", ", near.subList(0, near.size() - 1)) + " or " + near.get(near.size() - 1)) + "?";
    }

    /**
     * The names closest to {@code typed} by edit distance, at most three, and only those within a third of the typed
     * length (at least one edit): the misspellings a user makes.
     */
    static List<String> nearest(String typed, Collection<String> names) {
        int limit = Math.max(1, typed.length() / 3);
        Map<String, Integer> d = new LinkedHashMap<>();
        for (String n : new TreeSet<>(names)) {
            int k = editDistance(typed, n);
            if (k <= limit) d.put(n, k);
        }
        int best = d.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        return d.entrySet().stream().filter(x -> x.getValue() == best).map(Map.Entry::getKey).limit(3).toList();
    }

    /**
     * Edits that turn a into b: insertions, deletions, substitutions and swaps of two neighbouring characters, each
     * one (the optimal string alignment distance).
     */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j], d[i][j - 1]) + 1, d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
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
