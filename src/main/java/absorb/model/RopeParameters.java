package absorb.model;

import absorb.AbsorbException;
import java.util.List;

/**
 * Rotary position embedding parameters, as {@code rope_parameters} (transformers 5.x) or {@code rope_theta} plus
 * {@code rope_scaling} (4.x) give them.
 *
 * @param type default, linear or llama3
 * @param theta the base wavelength
 * @param factor linear / llama3 scale factor (1 for default)
 * @param lowFreqFactor llama3: wavelengths above original / low_freq_factor are divided by factor
 * @param highFreqFactor llama3: wavelengths below original / high_freq_factor are kept
 * @param originalMaxPositionEmbeddings llama3: the pre-training context length
 */
public record RopeParameters(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    public static final List<String> SUPPORTED = List.of("default", "linear", "llama3");

    public static RopeParameters standard(double theta) {
        return new RopeParameters("default", theta, 1, 0, 0, 0);
    }

    /**
     * The inverse frequencies inv_freq[i] = 1 / theta^(2i / dim), i < dim / 2, rescaled by the rope type. Computed in
     * float32 step by step as transformers does, so that the angles agree to the last bit.
     */
    public float[] inverseFrequencies(int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) inv[i] = inv[i] / (float) factor;
            }
            case "llama3" -> llama3(inv);
            default -> throw new AbsorbException("rope type " + type + " is not supported; absorb supports "
                    + String.join(", ", SUPPORTED) + ".");
        }
        return inv;
    }

    /**
     * Llama 3.1 frequency scaling: long wavelengths (beyond original / low_freq_factor) are divided by factor,
     * short ones (below original / high_freq_factor) kept, and the band between interpolated smoothly:
     * s = (original / wavelen - low) / (high - low), f' = (1 - s) f / factor + s f.
     */
    private void llama3(float[] inv) {
        float lowFreqWavelen = (float) (originalMaxPositionEmbeddings / lowFreqFactor);
        float highFreqWavelen = (float) (originalMaxPositionEmbeddings / highFreqFactor);
        float twoPi = (float) (2 * Math.PI);
        float fFactor = (float) factor;
        for (int i = 0; i < inv.length; i++) {
            float f = inv[i];
            float wavelen = twoPi / f;
            float scaled = wavelen > lowFreqWavelen ? f / fFactor : f;
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = ((float) originalMaxPositionEmbeddings / wavelen - (float) lowFreqFactor)
                        / (float) (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * scaled / fFactor + smooth * scaled;
            }
            inv[i] = scaled;
        }
    }
}
