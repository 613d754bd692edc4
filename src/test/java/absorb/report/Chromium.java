package absorb.report;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium, for tests that look at a report as a reader's browser shows it. Where Chromium is not installed
 * (Debian: {@code apt-get install chromium}) the tests that need it are skipped with a message saying so.
 */
public final class Chromium {
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");

    /** What a page's images did: how many it has and the alt text (or source) of each that did not load. */
    public record Images(int total, List<String> broken) {}

    private Chromium() {}

    /** The Chromium executable on the PATH, if any. */
    public static Optional<Path> executable() {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String name : NAMES) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Skips the calling test, with the reason, where Chromium is not installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(executable().isPresent(), "headless Chromium is not installed (Debian: apt-get install"
                + " chromium), so the report is not rendered in a browser");
    }

    /**
     * Loads {@code html} in Chromium and reports its images: every {@code <img>} counts, and one that is not complete
     * or has no width once the page has loaded is broken. The page is checked as a copy beside it (relative
     * references resolve as in the original) with a script that writes the verdict into the page.
     */
    public static Images images(Path html) throws IOException {
        String page = Files.readString(html, StandardCharsets.UTF_8);
        String script = "<script>window.addEventListener('load',function(){var b=[],im=document.images;"
                + "for(var i=0;i<im.length;i++){if(!im[i].complete||im[i].naturalWidth===0)"
                + "b.push((im[i].alt||im[i].src).substring(0,80));}var p=document.createElement('pre');p.id='image-check';"
                + "p.textContent='images '+im.length+' broken '+b.length+(b.length?': '+b.join(' | '):'');"
                + "document.body.appendChild(p);});</script>";
        int end = page.lastIndexOf("</body>");
        String checked = end < 0 ? page + script : page.substring(0, end) + script + page.substring(end);
        Path copy = html.resolveSibling("." + html.getFileName() + ".image-check.html");
        Files.writeString(copy, checked, StandardCharsets.UTF_8);
        try {
            String dom = run(List.of("--virtual-time-budget=15000", "--dump-dom", copy.toUri().toString()));
            Matcher m = Pattern.compile("images (\\d+) broken (\\d+)(?:: ([^<]*))?").matcher(dom);
            if (!m.find()) throw new IllegalStateException("Chromium did not report the images of " + html + ": " + dom);
            List<String> broken = m.group(3) == null ? List.of() : List.of(m.group(3).split(" \\| "));
            return new Images(Integer.parseInt(m.group(1)), broken);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** A page in {@code dir} that shows each of {@code images} (files) by its file URL: to load SVGs in the browser. */
    public static Path pageOf(List<Path> images, Path dir) throws IOException {
        StringBuilder s = new StringBuilder("<!DOCTYPE html><html><body>\n");
        for (Path p : images) s.append("<img src=\"").append(p.toAbsolutePath().toUri()).append("\" alt=\"").append(p)
                .append("\">\n");
        Path page = dir.resolve("images.html");
        Files.writeString(page, s.append("</body></html>\n"), StandardCharsets.UTF_8);
        return page;
    }

    /** A PNG of the page as a window of {@code width} x {@code height} shows it, for a person to look at. */
    public static void screenshot(Path html, Path png, int width, int height) throws IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run(List.of("--hide-scrollbars", "--window-size=" + width + "," + height,
                "--screenshot=" + png.toAbsolutePath(), html.toUri().toString()));
    }

    /** Runs Chromium headless with a fresh profile, no network of its own, and returns what it printed. */
    private static String run(List<String> args) throws IOException {
        Path exe = executable().orElseThrow(() -> new IllegalStateException("Chromium is not installed"));
        Path profile = Files.createTempDirectory("absorb-chromium");
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile));
        cmd.addAll(args);
        Path out = Files.createTempFile("absorb-chromium", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("Chromium did not finish within two minutes: " + cmd);
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(out);
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
