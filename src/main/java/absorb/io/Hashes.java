package absorb.io;

import absorb.AbsorbException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** SHA-256 fingerprints of files, folders and texts: what a run records so that a rerun knows what changed. */
public final class Hashes {
    private Hashes() {}

    public static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(digest().digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".");
        }
    }

    /** Of every regular file in {@code dir} (names and contents, in name order; not recursive). */
    public static String sha256Folder(Path dir) {
        MessageDigest md = digest();
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
            for (Path f : files) {
                md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + dir + ": " + AtomicFile.describe(e) + ".");
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(String text) {
        return HexFormat.of().formatHex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
