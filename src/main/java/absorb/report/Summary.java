package absorb.report;

import absorb.AbsorbException;
import absorb.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A demo's {@code summary.json}: what it ran on, every claim (with its value in each seed) and the readings reported
 * beside the claims; and the report section that lists the claims with their verdicts.
 */
public final class Summary {
    private final ObjectNode root = new ObjectMapper().createObjectNode();
    private final List<Claim> claims = new ArrayList<>();
    private final ObjectNode readings = new ObjectMapper().createObjectNode();

    public Summary put(String key, String value) {
        root.put(key, value);
        return this;
    }

    public Summary add(List<Claim> measured) {
        claims.addAll(measured);
        return this;
    }

    /** Measurements reported beside the claims, not held to a threshold (name -> value, or a nested object). */
    public ObjectNode readings() {
        return readings;
    }

    public List<Claim> claims() {
        return List.copyOf(claims);
    }

    /** The claims held to a threshold (not the measurements reported beside them). */
    public long thresholded() {
        return claims.stream().filter(c -> !c.isMeasurement()).count();
    }

    /** Claims that hold with the first seed. */
    public long heldAtSeed() {
        return claims.stream().filter(c -> !c.isMeasurement() && c.holds()).count();
    }

    /** Claims that hold with every seed they were measured with. */
    public long heldEverywhere() {
        return claims.stream().filter(c -> !c.isMeasurement() && c.holdsInEverySeed()).count();
    }

    /** The report's summary, as its last section, without figures: see {@link #section(HtmlReport, int, String, String, Path)}. */
    public void section(HtmlReport report, String heading, String intro) {
        section(report, report.sections(), heading, intro, null);
    }

    /**
     * The report's summary as its section number {@code index}: {@code intro} (if any), then each claim's line, marked
     * as holding or not in every seed, beside the figure that shows it (its PNG read from {@code dir}, the folder of
     * summary.json; claims shown by the same figure share it).
     */
    public void section(HtmlReport report, int index, String heading, String intro, Path dir) {
        report.sectionAt(index, heading);
        if (intro != null) report.paragraph(intro);
        for (int i = 0; i < claims.size(); ) {
            Claim c = claims.get(i);
            int j = i + 1;
            while (j < claims.size() && c.figure() != null && claims.get(j).figure() != null
                    && c.figure().file().equals(claims.get(j).figure().file())) j++;
            List<Claim> group = claims.subList(i, j);
            byte[] png = c.figure() == null || dir == null ? null : read(dir.resolve(c.figure().file()));
            if (png == null) {
                for (Claim g : group) {
                    if (g.isMeasurement()) report.paragraph(g.line());
                    else report.verdict(g.line(), g.holdsInEverySeed());
                }
            } else {
                report.verdictsBeside(group.stream().map(Claim::line).toList(),
                        group.stream().map(Claim::holdsInEverySeed).toList(), png, c.figure().caption());
            }
            i = j;
        }
    }

    private static byte[] read(Path png) {
        try {
            return Files.readAllBytes(png);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read the figure " + png + ": " + AtomicFile.describe(e) + ".");
        }
    }

    /** Writes summary.json, with the wall time the demo took. */
    public void write(Path file, double seconds) {
        ObjectNode o = root.deepCopy();
        var array = o.putArray("claims");
        claims.forEach(c -> c.addTo(array));
        o.set("readings", readings);
        o.put("seconds", Math.round(seconds * 10) / 10.0);
        AtomicFile.writeJson(file, o, true);
    }
}
