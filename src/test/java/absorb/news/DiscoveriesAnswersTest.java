package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Recomputes the answers of the {@code discoveries} domain of New News from the facts stated in each news item
 * (plus textbook constants), and checks them against the keyed options.
 */
class DiscoveriesAnswersTest {
    private static final AnswerCheck answers = AnswerCheck.forBundledSet();

    // Textbook constants (none of them is changed by any news item).
    private static final double SUN_RADIUS_IN_EARTH_RADII = 695_700.0 / 6_371.0;
    private static final double SPEED_OF_LIGHT = 299_792_458.0; // m/s
    private static final double HC_EV_NM = 1239.84; // h*c in eV*nm
    private static final double ELEMENTARY_CHARGE = 1.602176634e-19; // J per eV
    private static final double AVOGADRO = 6.02214076e23;
    private static final double GAS_CONSTANT_L_ATM = 0.082057366; // L atm / (mol K)
    private static final double JULIAN_YEAR_S = 365.25 * 86_400;
    private static final double M_C = 12.011, M_H = 1.008, M_O = 15.999;

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** "m.m × 10^e" with one decimal in the mantissa, then the suffix. */
    private static String sci(double x, String suffix) {
        int exp = (int) Math.floor(Math.log10(Math.abs(x)));
        double mantissa = x / Math.pow(10, exp);
        String m = f("%.1f", mantissa);
        if (m.equals("10.0")) {
            exp++;
            m = f("%.1f", mantissa / 10);
        }
        return m + " × 10^" + exp + suffix;
    }

    // discoveries-01: firefly Photinus nubivagus; burst of 3 pulses, period 6.0 s at 20 degC, -0.25 s per degC;
    // a receptive female answers every burst with one flash.
    private static double burstPeriod(double tempC) {
        return 6.0 - 0.25 * (tempC - 20.0);
    }

    /** The temperature at which the burst period is {@code period} seconds (inverse of burstPeriod). */
    private static long temperatureFor(double period) {
        long temp = Math.round(20.0 + (6.0 - period) / 0.25);
        assertEquals(period, burstPeriod(temp), 1e-12);
        return temp;
    }

    @Test
    void discoveries01_fireflyFlashes() {
        answers.check("discoveries-01-q1", f("%.2f s", burstPeriod(17)));
        answers.check("discoveries-01-q2", temperatureFor(60.0 / 15) + " °C");
        double bursts16 = 3.5 * 60 / burstPeriod(16);
        assertEquals(Math.rint(bursts16), bursts16, 1e-9); // whole bursts
        answers.check("discoveries-01-q3", Math.round(bursts16)); // one female flash per burst
        double bursts24 = 60 / burstPeriod(24);
        answers.check("discoveries-01-q4", Math.round(bursts24 * 3 + bursts24));
        answers.check("discoveries-01-q5", temperatureFor(60.0 / (36 / 3.0)) + " °C");
    }

    // discoveries-02: ATA-118 b; M = 0.42 Msun, R = 0.40 Rsun, P = 0.40 yr (146.1 d), depth 1.00 %, transit 4.0 h.
    @Test
    void discoveries02_transitingPlanet() {
        double mass = 0.42, starRadius = 0.40, periodYr = 0.40, depth = 0.0100, transitH = 4.0;
        double a = Math.cbrt(mass * periodYr * periodYr);
        answers.check("discoveries-02-q1", f("%.2f AU", a));
        double rp = Math.sqrt(depth) * starRadius * SUN_RADIUS_IN_EARTH_RADII;
        answers.check("discoveries-02-q2", f("%.1f", rp));
        double periodS = periodYr * JULIAN_YEAR_S;
        double fraction = transitH / (periodS / 3600.0);
        assertEquals(fraction, transitH / (146.1 * 24), 1e-6); // the stated 146.1 d gives the same
        answers.check("discoveries-02-q3", f("%.3f%%", 100 * fraction));
        answers.check("discoveries-02-q4", f("%.2f AU", Math.cbrt(mass * 2.0 * 2.0)));
        double p2Yr = Math.sqrt(Math.pow(0.25, 3) / mass);
        answers.check("discoveries-02-q5", f("%.1f days", p2Yr * 365.25));
    }

    // discoveries-03: comet C/2027 D4; perihelion 0.92 AU on 2028-03-14, aphelion 70.28 AU.
    @Test
    void discoveries03_longPeriodComet() {
        double q = 0.92, big = 70.28;
        double a = (q + big) / 2;
        double period = Math.pow(a, 1.5);
        answers.check("discoveries-03-q1", Math.round(period) + " years");
        answers.check("discoveries-03-q2", f("%.3f", (big - q) / (big + q)));
        LocalDate perihelion = LocalDate.of(2028, 3, 14);
        double start = 2028 + (perihelion.getDayOfYear() - 1) / (double) perihelion.lengthOfYear();
        answers.check("discoveries-03-q3", (long) Math.floor(start + period));
        double e = (big - q) / (big + q);
        double semiMinor = a * Math.sqrt(1 - e * e);
        assertEquals(Math.sqrt(q * big), semiMinor, 1e-9);
        answers.check("discoveries-03-q4", f("%.1f AU", semiMinor));
        answers.check("discoveries-03-q5", f("%.1f", big / q)); // v_p / v_a = Q / q (angular momentum)
    }

    // discoveries-04: NIM-Aero7 aerogel; k = 0.011 W/(m K), density 120 kg/m^3.
    private static final double K_AERO = 0.011;
    private static final double RHO_AERO = 120.0;

    @Test
    void discoveries04_aerogelInsulation() {
        answers.check("discoveries-04-q1", f("%.0f W", K_AERO * 1.0 * 28 / 0.020));
        answers.check("discoveries-04-q2", f("%.1f cm", 10.0 * K_AERO / 0.036));
        answers.check("discoveries-04-q3", f("%.1f m²", 3.0 / RHO_AERO / 0.010)); // volume / thickness
        answers.check("discoveries-04-q4", f("%.2f", 0.050 / K_AERO));
        double watts = K_AERO * 0.50 * 20 / 0.010;
        answers.check("discoveries-04-q5", f("%.1f kJ", watts * 3600 / 1000));
    }

    // discoveries-05: HX-9 crystal, isotropic, n = 2.20 at 589 nm.
    @Test
    void discoveries05_highIndexCrystal() {
        double n = 2.20;
        answers.check("discoveries-05-q1", f("%.1f°", Math.toDegrees(Math.asin(1 / n))));
        answers.check("discoveries-05-q2", f("%.0f ps", 0.030 / (SPEED_OF_LIGHT / n) * 1e12));
        answers.check("discoveries-05-q3", f("%.1f°", Math.toDegrees(Math.atan(n))));
        answers.check("discoveries-05-q4", f("%.1f°", Math.toDegrees(Math.asin(Math.sin(Math.toRadians(45)) / n))));
        double r = Math.pow((n - 1) / (n + 1), 2);
        answers.check("discoveries-05-q5", f("%.1f%%", 100 * r));
    }

    // discoveries-06: zigerene; gap 2.36 eV, narrowing 0.060 eV per 1 % tensile strain, up to 5 %.
    private static double gap(double strainPercent) {
        return 2.36 - 0.060 * strainPercent;
    }

    @Test
    void discoveries06_strainTunableSemiconductor() {
        answers.check("discoveries-06-q1", f("%.0f nm", HC_EV_NM / gap(5))); // the maximum reported strain
        int longestAbsorbed = 0; // the longest of the listed laser lines whose photons reach the gap
        List<Integer> notAbsorbed = new ArrayList<>();
        for (int lambda : new int[] {532, 520, 543, 495}) {
            if (HC_EV_NM / lambda >= gap(0)) longestAbsorbed = Math.max(longestAbsorbed, lambda);
            else notAbsorbed.add(lambda);
        }
        assertEquals(2, notAbsorbed.size());
        answers.check("discoveries-06-q2", longestAbsorbed + " nm");
        answers.check("discoveries-06-q3", f("%.2f eV", gap(3)));
        double strain = (2.36 - 2.27) / 0.060;
        assertTrue(strain <= 5);
        answers.check("discoveries-06-q4", f("%.1f%%", strain));
        double photonJ = gap(0) * ELEMENTARY_CHARGE;
        answers.check("discoveries-06-q5", sci(1.0e-9 / photonJ, ""));
    }

    // discoveries-07: TML-52 MOF; 3.2 mmol CO2 per g at 25 degC / 0.15 bar, 40-minute cycles.
    @Test
    void discoveries07_carbonCaptureFramework() {
        double molarMassCo2 = M_C + 2 * M_O;
        double gramsPerKgCycle = 3.2e-3 * 1000 * molarMassCo2;
        answers.check("discoveries-07-q1", f("%.0f g", gramsPerKgCycle));
        int cyclesPerDay = 24 * 60 / 40;
        answers.check("discoveries-07-q2", f("%.1f kg", cyclesPerDay * gramsPerKgCycle / 1000));
        answers.check("discoveries-07-q3", f("%.1f tonnes", 1.0e6 / gramsPerKgCycle / 1000));
        answers.check("discoveries-07-q4", f("%.0f mL", 1.5 * 3.2e-3 * GAS_CONSTANT_L_ATM * 298.15 / 1.0 * 1000)); // 1.5 g, 25 degC, 1 atm
        answers.check("discoveries-07-q5", sci(3.2e-3 * AVOGADRO, ""));
    }

    // discoveries-08: CaPETase; 40 mg PET per mg enzyme per hour at 65 degC, halving per 10 degC cooler,
    // activity half-life 48 h at 65 degC; products terephthalic acid + ethylene glycol.
    private static double petRate(double tempC) {
        return 40.0 * Math.pow(0.5, (65.0 - tempC) / 10.0);
    }

    @Test
    void discoveries08_petEnzyme() {
        answers.check("discoveries-08-q1", f("%.0f mg", 5 * petRate(50) * 3));
        long temp = Math.round(65 - 10 * log2(40.0 / 5)); // rate 5 mg per hour
        assertEquals(5.0, petRate(temp), 1e-12);
        answers.check("discoveries-08-q2", temp + " °C");
        answers.check("discoveries-08-q3", f("%.0f hours", 48 * log2(1 / 0.25))); // 25 % of the activity left
        double pet = 10 * M_C + 8 * M_H + 4 * M_O; // C10H8O4 repeat unit
        double glycol = 2 * M_C + 6 * M_H + 2 * M_O; // C2H6O2
        answers.check("discoveries-08-q4", f("%.1f mg", petRate(65) * 1.0 * glycol / pet)); // 1 mg enzyme, 1 h
        answers.check("discoveries-08-q5", f("%.1f mg", petRate(38))); // per mg of enzyme per hour
    }

    // discoveries-09: Tavake chain; 14 seamounts 63 km apart, the one 504 km away is 9.0 Myr old.
    @Test
    void discoveries09_seamountChain() {
        double kmPerMyr = 504.0 / 9.0;
        answers.check("discoveries-09-q1", f("%.1f million years", 189 / kmPerMyr));
        double cmPerYear = kmPerMyr * 1e5 / 1e6;
        answers.check("discoveries-09-q2", f("%.1f cm per year", cmPerYear));
        double km = 4.5 * kmPerMyr;
        assertEquals(0, Math.round(km) % 63); // a seamount position
        answers.check("discoveries-09-q3", f("%.0f km", km));
        answers.check("discoveries-09-q4", f("%.2f million years", 63 / kmPerMyr));
        answers.check("discoveries-09-q5", f("%.1f million years", (14 - 1) * 63 / kmPerMyr));
    }

    // discoveries-10: satiolin; threshold 15 pmol/L, peak 90 pmol/L, half-life 14 min.
    private static double minutesAbove(double peak) {
        return 14.0 * Math.log(peak / 15.0) / Math.log(2);
    }

    @Test
    void discoveries10_gutHormone() {
        answers.check("discoveries-10-q1", f("%.0f minutes", minutesAbove(90)));
        answers.check("discoveries-10-q2", f("%.1f pmol/L", 90 * Math.pow(0.5, 30 / 14.0)));
        answers.check("discoveries-10-q3", f("%.0f minutes", 14.0 * log2(90 / 30.0)));
        long peak = Math.round(15.0 * Math.pow(2, 42 / 14.0)); // inverse of minutesAbove
        assertEquals(42.0, minutesAbove(peak), 1e-9);
        answers.check("discoveries-10-q4", peak + " pmol/L");
        answers.check("discoveries-10-q5", f("%.0f minutes", minutesAbove(50)));
    }

    // discoveries-11: gecko survey; 150 marked, 200 caught, 24 marked; 2.5 ha; 1.6 g; half female; 4 x 2 eggs.
    @Test
    void discoveries11_geckoPopulation() {
        long n = 150L * 200 / 24;
        assertEquals(0, 150L * 200 % 24);
        answers.check("discoveries-11-q1", n);
        answers.check("discoveries-11-q2", f("%.0f", n / 2.5)); // per hectare
        answers.check("discoveries-11-q3", f("%.0f%%", 100.0 * 150 / n));
        answers.check("discoveries-11-q4", f("%.2f kg", n * 1.6 / 1000));
        answers.check("discoveries-11-q5", n / 2 * 4 * 2);
    }

    // discoveries-12: Tanewhaornis rakiura; humerus 16.0 cm, height = 10 L, mass = 0.080 L^2.5, age 59.5 Ma.
    private static double penguinMass(double humerusCm) {
        return 0.080 * Math.pow(humerusCm, 2.5);
    }

    @Test
    void discoveries12_giantPenguin() {
        double humerus = Math.pow(12.8 / 0.080, 1 / 2.5); // inverse of the mass rule
        assertEquals(12.8, penguinMass(humerus), 1e-9);
        answers.check("discoveries-12-q1", f("%.0f cm", 10 * humerus));
        answers.check("discoveries-12-q2", f("%.2f", penguinMass(16.0) / penguinMass(12.0)));
        answers.check("discoveries-12-q3", f("%.0f kg", penguinMass(14.4)));
        answers.check("discoveries-12-q4", f("%.0f kg", penguinMass(180 / 10.0))); // height = 10 x humerus
        answers.check("discoveries-12-q5", f("%.0f kg", penguinMass(15.0) - penguinMass(13.0)));
    }

    // discoveries-13: Isidella aurorae; +1.6 mm height and +0.035 mm trunk radius per year; larvae from 48 cm.
    @Test
    void discoveries13_deepSeaCoral() {
        answers.check("discoveries-13-q1", f("%.0f years", 1200 / 1.6));
        answers.check("discoveries-13-q2", f("%.1f mm", 1000 / 1.6 * 0.035));
        answers.check("discoveries-13-q3", f("%.0f years", 12 / 2.0 / 0.035)); // diameter 12 mm
        double ageAtMaturity = 480 / 1.6;
        answers.check("discoveries-13-q4", f("%.0f years", ageAtMaturity));
        answers.check("discoveries-13-q5", f("%.1f mm", ageAtMaturity * 0.035));
    }

    // discoveries-14: SSPC-417; P = 3.200 ms, Pdot = 1.6e-20 s/s, orbit 5.0 h.
    @Test
    void discoveries14_millisecondPulsar() {
        double p = 3.200e-3, pDot = 1.6e-20;
        long rotations = Math.round(5.0 * 3600 / p);
        answers.check("discoveries-14-q1", String.format(Locale.US, "%,d", rotations));
        answers.check("discoveries-14-q2", f("%.1f billion years", p / (2 * pDot) / JULIAN_YEAR_S / 1e9));
        answers.check("discoveries-14-q3", f("%.1f picoseconds", pDot * 100 * JULIAN_YEAR_S * 1e12));
        answers.check("discoveries-14-q4", f("%.1f minutes", 1e6 * p / 60));
        double spinDown = 4 * Math.PI * Math.PI * 1e38 * pDot / (p * p * p);
        answers.check("discoveries-14-q5", sci(spinDown, " W"));
    }

    // discoveries-15: Pyrococcus ardens; 75-103 degC, doubling 40 min at 92 degC, 2.5x longer at 80 degC.
    private static long cells(long start, double minutes, double doublingMinutes) {
        return Math.round(start * Math.pow(2, minutes / doublingMinutes));
    }

    @Test
    void discoveries15_ventArchaeon() {
        answers.check("discoveries-15-q1", cells(1000, 6 * 60, 40));
        double minutes = 40 * Math.log(1e7 / 1e4) / Math.log(2);
        answers.check("discoveries-15-q2", f("%.1f hours", minutes / 60));
        double doubling80 = 2.5 * 40;
        answers.check("discoveries-15-q3", Math.round(Math.pow(2, 600 / 40.0) / Math.pow(2, 600 / doubling80)));
        answers.check("discoveries-15-q4", cells(1000, 10 * 60, doubling80));
        answers.check("discoveries-15-q5", cells(cells(500, 120, 40), 300, doubling80)); // 92 degC, then 80 degC
    }
}
