package absorb.news;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * An exact rational number in lowest terms with a positive denominator, as Python's {@code Fraction}: "twice", "a
 * tenth", sums and quotients of option values compare exactly.
 */
record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {
    static final Rational ZERO = of(0), ONE = of(1), TWO = of(2), TEN = of(10);
    static final Rational HALF = TWO.reciprocal(), TENTH = TEN.reciprocal();

    Rational {
        if (den.signum() == 0) throw new ArithmeticException("denominator 0");
        BigInteger g = num.gcd(den);
        if (den.signum() < 0) g = g.negate();
        num = num.divide(g);
        den = den.divide(g);
    }

    static Rational of(long n) {
        return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
    }

    static Rational of(BigDecimal d) {
        return d.scale() <= 0 ? new Rational(d.toBigIntegerExact(), BigInteger.ONE)
                : new Rational(d.unscaledValue(), BigInteger.TEN.pow(d.scale()));
    }

    Rational plus(Rational o) {
        return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational minus(Rational o) {
        return plus(o.negate());
    }

    Rational times(Rational o) {
        return new Rational(num.multiply(o.num), den.multiply(o.den));
    }

    Rational dividedBy(Rational o) {
        return times(o.reciprocal());
    }

    Rational negate() {
        return new Rational(num.negate(), den);
    }

    Rational reciprocal() {
        return new Rational(den, num);
    }

    Rational abs() {
        return num.signum() < 0 ? negate() : this;
    }

    boolean isZero() {
        return num.signum() == 0;
    }

    boolean isInteger() {
        return den.equals(BigInteger.ONE);
    }

    @Override
    public int compareTo(Rational o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }

    /** The nearest double (exact division first where the expansion ends, as it does for a value read from decimals). */
    double toDouble() {
        BigDecimal n = new BigDecimal(num), d = new BigDecimal(den);
        try {
            return n.divide(d).doubleValue();
        } catch (ArithmeticException endless) {
            return n.divide(d, MathContext.DECIMAL128).doubleValue();
        }
    }

    /** As Python writes a Fraction's value: an integer as itself, anything else as {@code str(float(v))}. */
    @Override
    public String toString() {
        return isInteger() ? num.toString() : pythonRepr(toDouble());
    }

    /** Python's repr of a double: the shortest digits that read back, positional from 1e-4 up to 1e16. */
    static String pythonRepr(double x) {
        BigDecimal exact = new BigDecimal(x), shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == x) {
                shortest = r;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString(), sign = x < 0 ? "-" : "";
        int point = digits.length() - shortest.scale(); // x = 0.digits * 10^point
        if (point > -4 && point <= 16) {
            String plain = shortest.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        int e = point - 1;
        return String.format(Locale.ROOT, "%s%se%s%02d", sign, mantissa, e < 0 ? "-" : "+", Math.abs(e));
    }
}
