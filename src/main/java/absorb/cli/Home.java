package absorb.cli;

import java.nio.file.Path;

/** Files that ship with absorb (the bundled model, the New News set), found from any working directory. */
final class Home {
    private Home() {}

    /**
     * {@code relative} inside absorb's folder: the launcher exports it as ABSORB_HOME; without it (absorb run from a
     * jar by hand), the working directory.
     */
    static Path resolve(Path relative) {
        String home = System.getenv("ABSORB_HOME");
        return home != null && !home.isEmpty() ? Path.of(home).resolve(relative) : relative;
    }
}
