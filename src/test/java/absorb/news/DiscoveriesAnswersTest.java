package absorb.news;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    private static final double AU_KM = 149_597_870.7;
    private static final double SUN_RADIUS_IN_EARTH_RADII = 695_700.0 / 6_371.0;
    private static final double SPEED_OF_LIGHT = 299_792_458.0; // m/s
    private static final double HC_EV_NM = 1239.84; // h*c in eV*nm
    private static final double ELEMENTARY_CHARGE = 1.602176634e-19; // J per eV
    private static final double AVOGADRO = 6.02214076e23;
    private static final double MOLAR_VOLUME_STP_L = 22.414; // L/mol at 0 degC, 1 atm
    private static final double JULIAN_YEAR_S = 365.25 * 86_400;
    private static final double M_C = 12.011, M_H = 1.008, M_O = 15.999;

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

    // discoveries-01: firefly Photinus trinitatus; burst of 3 pulses, period 6.0 s at 20 degC, -0.25 s per degC.
    private static double burstPeriod(double tempC) {
        return 6.0 - 0.25 * (tempC - 20.0);
    }

    @Test
    void discoveries01_fireflyFlashes() {
        answers.check("discoveries-01-q1", f("%.1f s", burstPeriod(24)));
        answers.check("discoveries-01-q2", Math.round(60.0 / burstPeriod(20) * 3));
        answers.check("discoveries-01-q3", (long) Math.floor(90.0 / burstPeriod(26) + 1e-9));
        long temp = Math.round(20.0 + (6.0 - 5.5) / 0.25);
        assertEquals(5.5, burstPeriod(temp), 1e-12);
        answers.check("discoveries-01-q4", temp + " °C");
        answers.check("discoveries-01-q5", 10 * 3 + 10 * 1);
    }

    // discoveries-02: ATA-118 b; M = 0.50 Msun, R = 0.50 Rsun, P = 0.50 yr (182.6 d), depth 1.00 %, transit 4.0 h.
    @Test
    void discoveries02_transitingPlanet() {
        double mass = 0.50, starRadius = 0.50, periodYr = 0.50, depth = 0.0100, transitH = 4.0;
        double a = Math.cbrt(mass * periodYr * periodYr);
        answers.check("discoveries-02-q1", f("%.2f AU", a));
        double rp = Math.sqrt(depth) * starRadius * SUN_RADIUS_IN_EARTH_RADII;
        answers.check("discoveries-02-q2", f("%.1f", rp));
        double periodS = periodYr * JULIAN_YEAR_S;
        double v = 2 * Math.PI * a * AU_KM / periodS;
        assertEquals(v, 2 * Math.PI * a * AU_KM / (182.6 * 86_400), 0.05); // the stated 182.6 d gives the same
        answers.check("discoveries-02-q3", f("%.1f km/s", v));
        double fraction = transitH / (periodS / 3600.0);
        answers.check("discoveries-02-q4", f("%.3f%%", 100 * fraction));
        double a2 = Math.cbrt(mass * (2 * periodYr) * (2 * periodYr));
        answers.check("discoveries-02-q5", f("%.2f AU", a2));
    }

    // discoveries-03: comet C/2027 D4; perihelion 1.20 AU on 2028-03-14, aphelion 98.80 AU.
    @Test
    void discoveries03_longPeriodComet() {
        double q = 1.20, big = 98.80;
        double a = (q + big) / 2;
        double period = Math.pow(a, 1.5);
        answers.check("discoveries-03-q1", Math.round(period) + " years");
        answers.check("discoveries-03-q2", f("%.3f", (big - q) / (big + q)));
        LocalDate perihelion = LocalDate.of(2028, 3, 14);
        double start = 2028 + (perihelion.getDayOfYear() - 1) / (double) perihelion.lengthOfYear();
        answers.check("discoveries-03-q3", (long) Math.floor(start + period));
        answers.check("discoveries-03-q4", f("%.1f AU", a));
        answers.check("discoveries-03-q5", f("%.1f", big / q)); // v_p / v_a = Q / q (angular momentum)
    }

    // discoveries-04: NIM-Aero7 aerogel; k = 0.012 W/(m K), density 45 kg/m^3.
    private static final double K_AERO = 0.012;

    @Test
    void discoveries04_aerogelInsulation() {
        answers.check("discoveries-04-q1", f("%.0f W", K_AERO * 1.0 * 30 / 0.020));
        answers.check("discoveries-04-q2", f("%.1f cm", 10.0 * K_AERO / 0.036));
        answers.check("discoveries-04-q3", f("%.1f kg", 2.0 * 1.0 * 0.050 * 45));
        answers.check("discoveries-04-q4", f("%.2f", 0.050 / K_AERO));
        double watts = K_AERO * 0.50 * 20 / 0.010;
        answers.check("discoveries-04-q5", f("%.1f kJ", watts * 3600 / 1000));
    }

    // discoveries-05: HX-9 crystal, isotropic, n = 2.00 at 589 nm.
    @Test
    void discoveries05_highIndexCrystal() {
        double n = 2.00;
        answers.check("discoveries-05-q1", f("%.1f°", Math.toDegrees(Math.asin(1 / n))));
        answers.check("discoveries-05-q2", f("%.2f × 10^8 m/s", SPEED_OF_LIGHT / n / 1e8));
        answers.check("discoveries-05-q3", f("%.1f°", Math.toDegrees(Math.atan(n))));
        answers.check("discoveries-05-q4", f("%.1f°", Math.toDegrees(Math.asin(Math.sin(Math.toRadians(45)) / n))));
        double r = Math.pow((n - 1) / (n + 1), 2);
        answers.check("discoveries-05-q5", f("%.1f%%", 100 * r));
    }

    // discoveries-06: zigerene; gap 2.48 eV, narrowing 0.050 eV per 1 % tensile strain.
    private static double gap(double strainPercent) {
        return 2.48 - 0.050 * strainPercent;
    }

    @Test
    void discoveries06_strainTunableSemiconductor() {
        answers.check("discoveries-06-q1", f("%.0f nm", HC_EV_NM / gap(0)));
        List<String> notAbsorbed = new ArrayList<>();
        for (int lambda : new int[] {405, 450, 488, 532}) {
            if (HC_EV_NM / lambda < gap(0)) notAbsorbed.add(lambda + " nm");
        }
        assertEquals(1, notAbsorbed.size());
        answers.check("discoveries-06-q2", notAbsorbed.get(0));
        answers.check("discoveries-06-q3", f("%.0f nm", HC_EV_NM / gap(2)));
        answers.check("discoveries-06-q4", f("%.1f%%", (2.48 - 2.30) / 0.050));
        double photonJ = gap(0) * ELEMENTARY_CHARGE;
        answers.check("discoveries-06-q5", sci(1.0e-9 / photonJ, ""));
    }

    // discoveries-07: TML-52 MOF; 5.0 mmol CO2 per g at 25 degC / 0.15 bar, 30-minute cycles.
    @Test
    void discoveries07_carbonCaptureFramework() {
        double molarMassCo2 = M_C + 2 * M_O;
        double gramsPerKgCycle = 5.0e-3 * 1000 * molarMassCo2;
        answers.check("discoveries-07-q1", f("%.0f g", gramsPerKgCycle));
        int cyclesPerDay = 24 * 60 / 30;
        answers.check("discoveries-07-q2", f("%.1f kg", cyclesPerDay * gramsPerKgCycle / 1000));
        answers.check("discoveries-07-q3", f("%.1f tonnes", 1.0e6 / gramsPerKgCycle / 1000));
        answers.check("discoveries-07-q4", f("%.0f mL", 5.0e-3 * MOLAR_VOLUME_STP_L * 1000));
        answers.check("discoveries-07-q5", sci(5.0e-3 * AVOGADRO, ""));
    }

    // discoveries-08: CaPETase; 40 mg PET per mg enzyme per hour at 65 degC, halving per 10 degC cooler,
    // activity half-life 48 h at 65 degC; products terephthalic acid + ethylene glycol.
    private static double petRate(double tempC) {
        return 40.0 * Math.pow(0.5, (65.0 - tempC) / 10.0);
    }

    @Test
    void discoveries08_petEnzyme() {
        answers.check("discoveries-08-q1", f("%.0f mg", 5 * petRate(65) * 3));
        answers.check("discoveries-08-q2", f("%.0f mg per hour", petRate(45)));
        answers.check("discoveries-08-q3", f("%.1f%%", 100 * Math.pow(0.5, 6 * 24 / 48.0)));
        double pet = 10 * M_C + 8 * M_H + 4 * M_O; // C10H8O4 repeat unit
        double tpa = 8 * M_C + 6 * M_H + 4 * M_O; // C8H6O4
        answers.check("discoveries-08-q4", f("%.1f mg", petRate(65) * 1.0 * tpa / pet)); // 1 mg enzyme, 1 h
        answers.check("discoveries-08-q5", f("%.1f hours", 1000.0 / (2 * petRate(55))));
    }

    // discoveries-09: Tavake chain; 14 seamounts 72 km apart, the one 576 km away is 6.4 Myr old.
    @Test
    void discoveries09_seamountChain() {
        double kmPerMyr = 576.0 / 6.4;
        double cmPerYear = kmPerMyr * 1e5 / 1e6;
        answers.check("discoveries-09-q1", f("%.1f cm per year", cmPerYear));
        assertEquals(0, 720 % 72); // 720 km is a seamount position
        answers.check("discoveries-09-q2", f("%.1f million years", 720 / kmPerMyr));
        answers.check("discoveries-09-q3", f("%.0f km", 2 * kmPerMyr));
        long interval = Math.round(72 / kmPerMyr * 1e6);
        answers.check("discoveries-09-q4", String.format(Locale.US, "every %,d years", interval));
        answers.check("discoveries-09-q5", f("%.1f million years", (14 - 1) * 72 / kmPerMyr));
    }

    // discoveries-10: satiolin; threshold 20 pmol/L, peak 80 pmol/L, half-life 12 min.
    private static double minutesAbove(double peak) {
        return 12.0 * Math.log(peak / 20.0) / Math.log(2);
    }

    @Test
    void discoveries10_gutHormone() {
        answers.check("discoveries-10-q1", f("%.0f minutes", minutesAbove(80)));
        answers.check("discoveries-10-q2", f("%.1f pmol/L", 80 * Math.pow(0.5, 60 / 12.0)));
        answers.check("discoveries-10-q3", f("%.3f per minute", Math.log(2) / 12.0));
        long peak = Math.round(20.0 * Math.pow(2, 36 / 12.0)); // inverse of minutesAbove
        assertEquals(36.0, minutesAbove(peak), 1e-9);
        answers.check("discoveries-10-q4", peak + " pmol/L");
        answers.check("discoveries-10-q5", f("%.0f minutes", minutesAbove(40)));
    }

    // discoveries-11: gecko survey; 150 marked, 200 caught, 24 marked; 2.5 ha; 1.6 g; half female; 4 x 2 eggs.
    @Test
    void discoveries11_geckoPopulation() {
        long n = 150L * 200 / 24;
        assertEquals(0, 150L * 200 % 24);
        answers.check("discoveries-11-q1", n);
        answers.check("discoveries-11-q2", f("%.0f", n / 2.5)); // per hectare
        answers.check("discoveries-11-q3", f("%.0f%%", 100.0 * 150 / n));
        answers.check("discoveries-11-q4", f("%.1f kg", n * 1.6 / 1000));
        answers.check("discoveries-11-q5", n / 2 * 4 * 2);
    }

    // discoveries-12: Tanewhaornis rakiura; humerus 16.0 cm, height = 10 L, mass = 0.025 L^3, age 59.5 Ma.
    private static double penguinMass(double humerusCm) {
        return 0.025 * Math.pow(humerusCm, 3);
    }

    @Test
    void discoveries12_giantPenguin() {
        answers.check("discoveries-12-q1", f("%.0f cm", 10 * 16.0));
        answers.check("discoveries-12-q2", f("%.0f kg", penguinMass(16.0)));
        answers.check("discoveries-12-q3", f("%.1f million years", 66.0 - 59.5));
        answers.check("discoveries-12-q4", f("%.0f kg", penguinMass(14.4)));
        answers.check("discoveries-12-q5", f("%.1f cm", Math.cbrt(51.2 / 0.025)));
    }

    // discoveries-13: Isidella aurorae; +2.5 mm height and +0.040 mm trunk radius per year; larvae from 30 cm.
    @Test
    void discoveries13_deepSeaCoral() {
        answers.check("discoveries-13-q1", f("%.0f years", 1500 / 2.5));
        answers.check("discoveries-13-q2", f("%.0f cm", (2027 - 1827) * 2.5 / 10));
        answers.check("discoveries-13-q3", f("%.0f years", 12 / 0.040));
        double ageAtMaturity = 300 / 2.5;
        answers.check("discoveries-13-q4", f("%.0f years", ageAtMaturity));
        answers.check("discoveries-13-q5", f("%.1f mm", ageAtMaturity * 0.040));
    }

    // discoveries-14: SSPC-417; P = 2.500 ms, Pdot = 1.0e-20 s/s, orbit 6.0 h.
    @Test
    void discoveries14_millisecondPulsar() {
        double p = 2.500e-3, pDot = 1.0e-20;
        answers.check("discoveries-14-q1", Math.round(1 / p));
        answers.check("discoveries-14-q2", f("%.1f billion years", p / (2 * pDot) / JULIAN_YEAR_S / 1e9));
        answers.check("discoveries-14-q3", f("%.1f picoseconds", pDot * 100 * JULIAN_YEAR_S * 1e12));
        long rotations = Math.round(6.0 * 3600 / p);
        answers.check("discoveries-14-q4", String.format(Locale.US, "%,d", rotations));
        double spinDown = 4 * Math.PI * Math.PI * 1e38 * pDot / (p * p * p);
        answers.check("discoveries-14-q5", sci(spinDown, " W"));
    }

    // discoveries-15: Pyrococcus ardens; 75-103 degC, doubling 50 min at 92 degC, 3x longer at 80 degC.
    private static long cells(long start, double minutes, double doublingMinutes) {
        return Math.round(start * Math.pow(2, minutes / doublingMinutes));
    }

    @Test
    void discoveries15_ventArchaeon() {
        answers.check("discoveries-15-q1", cells(1000, 5 * 60, 50));
        double minutes = 50 * Math.log(1e7 / 1e4) / Math.log(2);
        answers.check("discoveries-15-q2", f("%.1f hours", minutes / 60));
        double doubling80 = 3 * 50;
        answers.check("discoveries-15-q3", f("%.0f minutes", doubling80));
        answers.check("discoveries-15-q4", cells(1000, 10 * 60, doubling80));
        answers.check("discoveries-15-q5", cells(cells(1000, 150, 50), 300, doubling80)); // 92 degC, then 80 degC
    }
}
