package absorb.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Runs the command line in-process and keeps its error messages and the results it printed through the command line
 * (progress goes to the process's standard error, as in a terminal).
 */
final class Cli {
    final int exit;
    final String err;
    final String out;

    private Cli(int exit, String err, String out) {
        this.exit = exit;
        this.err = err;
        this.out = out;
    }

    static Cli run(String... args) {
        StringWriter sw = new StringWriter(), so = new StringWriter();
        int code = Main.run(new PrintWriter(so, true), new PrintWriter(sw, true), args);
        return new Cli(code, sw.toString(), so.toString());
    }

    /**
     * Runs {@code args} and asserts that they are refused as bad input: exit code 2 and one line of error output that
     * mentions {@code mentions}.
     */
    static Cli refused(String mentions, String... args) {
        Cli c = run(args);
        org.junit.jupiter.api.Assertions.assertEquals(2, c.exit, c.toString());
        org.junit.jupiter.api.Assertions.assertTrue(c.oneLine() && c.err.contains(mentions), c.toString());
        return c;
    }

    /** The error output is one line (one sentence, no stack trace). */
    boolean oneLine() {
        return err.strip().lines().count() == 1;
    }

    @Override
    public String toString() {
        return "exit " + exit + ": " + err + (out.isEmpty() ? "" : "\n(output) " + out);
    }
}
