package absorb.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * A finding a study states about its own run: the measured value, the threshold it is held to, whether it holds, what
 * exactly was measured, and the same measurement repeated with other seeds. Both studies' demos report their findings
 * as claims, in the same {@code summary.json} format.
 *
 * @param name dotted name, study first ({@code graphs.grid.final_accuracy})
 * @param value the measured value (NaN where it could not be measured)
 * @param threshold the condition in words and numbers ({@code ">= 0.8"}); null for a measurement reported beside the
 *     claims and held to no threshold
 * @param holds whether the value meets the threshold
 * @param what what was measured, where, and on which hook point
 * @param otherSeeds the same claim measured with other seeds (empty when none were run)
 * @param figure the figure that shows it (null when none does)
 */
public record Claim(String name, double value, String threshold, boolean holds, String what, List<Seeded> otherSeeds,
        Shown figure) {

    /** The claim's value with one other seed. */
    public record Seeded(long seed, double value, boolean holds) {}

    /**
     * The figure that shows a claim: its PNG, by its path relative to the folder of the demo's summary.json, and a
     * caption saying what in it to look at.
     */
    public record Shown(String file, String caption) {}

    public Claim {
        otherSeeds = List.copyOf(otherSeeds);
    }

    public static Claim of(String name, double value, String threshold, boolean holds, String what) {
        return new Claim(name, value, threshold, holds, what, List.of(), null);
    }

    /** A number reported with the claims (and with every seed) but held to no threshold. */
    public static Claim measurement(String name, double value, String what) {
        return new Claim(name, value, null, true, what, List.of(), null);
    }

    public boolean isMeasurement() {
        return threshold == null;
    }

    public Claim withOtherSeeds(List<Seeded> seeds) {
        return new Claim(name, value, threshold, holds, what, seeds, figure);
    }

    /** The claim shown by the PNG {@code file} (relative to the summary's folder), with {@code caption}. */
    public Claim shownBy(String file, String caption) {
        return new Claim(name, value, threshold, holds, what, otherSeeds, new Shown(file, caption));
    }

    /** The seeds it was measured with: this one and the others. */
    public int seeds() {
        return otherSeeds.size() + 1;
    }

    /** How many of those seeds it holds in. */
    public int heldIn() {
        return (holds ? 1 : 0) + (int) otherSeeds.stream().filter(Seeded::holds).count();
    }

    public boolean holdsInEverySeed() {
        return heldIn() == seeds();
    }

    /** "4 of 4 seeds". */
    public String acrossSeeds() {
        return heldIn() + " of " + seeds() + " seeds";
    }

    /** One line: the value, the threshold, the verdict (and across seeds), and what was measured. */
    public String line() {
        if (isMeasurement()) {
            StringBuilder others = new StringBuilder();
            for (Seeded s : otherSeeds) others.append(others.length() == 0 ? "; other seeds " : ", ").append(format(s.value()));
            return String.format(Locale.ROOT, "%s = %s (a measurement, held to no threshold%s). %s.", name, format(value),
                    others, what);
        }
        return String.format(Locale.ROOT, "%s = %s (threshold %s): %s%s. %s.", name, format(value), threshold,
                holds ? "holds" : "does NOT hold", otherSeeds.isEmpty() ? "" : " (in " + acrossSeeds() + ")", what);
    }

    /** Adds the claim to a summary's array of claims, as {@code summary.json} records it. */
    public void addTo(ArrayNode claims) {
        ObjectNode o = claims.addObject();
        o.put("name", name);
        putNumber(o, "value", value);
        if (isMeasurement()) {
            o.putNull("threshold");
            o.put("measurement", true);
        } else {
            o.put("threshold", threshold);
            o.put("holds", holds);
        }
        o.put("measured", what);
        ArrayNode again = o.putArray("other_seeds");
        for (Seeded s : otherSeeds) {
            ObjectNode e = again.addObject();
            e.put("seed", s.seed());
            putNumber(e, "value", s.value());
            if (!isMeasurement()) e.put("holds", s.holds());
        }
        if (!isMeasurement()) o.put("holds_across_seeds", acrossSeeds());
        if (figure != null) o.put("figure", figure.file());
    }

    /**
     * The claims measured with the first seed, each joined with its values in the runs of the other seeds
     * ({@code others.get(k)} holds the same claims, in the same order, measured with {@code seeds[k]}).
     */
    public static List<Claim> acrossSeeds(List<Claim> first, List<List<Claim>> others, long[] seeds) {
        return java.util.stream.IntStream.range(0, first.size()).mapToObj(i -> {
            List<Seeded> again = new java.util.ArrayList<>();
            for (int k = 0; k < others.size(); k++) {
                Claim x = others.get(k).get(i);
                if (!x.name().equals(first.get(i).name())) {
                    throw new IllegalArgumentException("claims out of order: " + x.name() + " for " + first.get(i).name());
                }
                again.add(new Seeded(seeds[k], x.value(), x.holds()));
            }
            return first.get(i).withOtherSeeds(again);
        }).toList();
    }

    /** {@code value} under {@code key}, or JSON null where it was not measured (NaN). */
    public static void putNumber(ObjectNode o, String key, double value) {
        if (Double.isNaN(value)) o.putNull(key);
        else o.put(key, value);
    }

    /** Three decimals below 10, one above; "n/a" for NaN. */
    public static String format(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.3f", v);
    }
}
