package absorb;

/**
 * An input the user can fix: a missing file, a malformed checkpoint, an option out of range. The message is one
 * plain sentence that names the file or option; the command line prints it and exits with code 2.
 */
public class AbsorbException extends RuntimeException {
    public AbsorbException(String message) {
        super(message);
    }

    public AbsorbException(String message, Throwable cause) {
        super(message, cause);
    }
}
