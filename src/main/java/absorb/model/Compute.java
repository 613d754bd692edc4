package absorb.model;

import absorb.AbsorbException;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/**
 * Where and in which number format the model computes: the one place that chooses the device and the dtype, so
 * that a GPU build is a switch (DJL's CUDA native jar on the class path and {@code --device gpu}), not a rewrite.
 */
public record Compute(Device device, DataType dtype) {

    public static final Compute CPU_FLOAT32 = new Compute(Device.cpu(), DataType.FLOAT32);

    static {
        // No network unless asked for: the CPU build of libtorch ships in the pytorch-native-cpu jar.
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("ai.djl.default_engine", "PyTorch");
    }

    /** Parses the {@code --dtype} option: float32 (default), bf16 / bfloat16, f16 / float16. */
    public static DataType parseDtype(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float32", "f32", "fp32" -> DataType.FLOAT32;
            case "bf16", "bfloat16" -> DataType.BFLOAT16;
            case "f16", "fp16", "float16" -> DataType.FLOAT16;
            default -> throw new AbsorbException(
                    "--dtype " + name + " is not supported; use float32, bf16 or float16.");
        };
    }

    /** Parses the {@code --device} option: cpu (default), gpu or gpu:N. */
    public static Device parseDevice(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) return Device.cpu();
        if (n.equals("gpu") || n.equals("cuda")) return requireGpu(0);
        if (n.startsWith("gpu:") || n.startsWith("cuda:")) {
            try {
                return requireGpu(Integer.parseInt(n.substring(n.indexOf(':') + 1)));
            } catch (NumberFormatException e) {
                throw new AbsorbException("--device " + name + " is not a device; use cpu, gpu or gpu:N.");
            }
        }
        throw new AbsorbException("--device " + name + " is not a device; use cpu, gpu or gpu:N.");
    }

    private static Device requireGpu(int id) {
        int gpus = Engine.getInstance().getGpuCount();
        if (id >= gpus) {
            throw new AbsorbException("--device gpu:" + id + " is not available: this build of absorb sees " + gpus
                    + " GPU(s); build with -Pcuda on a machine with CUDA to use one.");
        }
        return Device.gpu(id);
    }

    public Compute withDtype(DataType dtype) {
        return new Compute(device, dtype);
    }

    /** A new root scope for tensors on this device. Close it to free their native memory. */
    public NDManager newManager() {
        return NDManager.newBaseManager(device, "PyTorch");
    }

    /** Sets libtorch's intra-op thread count (0 leaves its default: one per physical core). */
    public static void setThreads(int threads) {
        Engine.getEngine("PyTorch");
        if (threads > 0) JniUtils.setNumThreads(threads);
    }

    public static int threads() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }

    /**
     * {@code x} in dtype {@code t}. bfloat16 goes through {@link WeightKernels} because DJL cannot create it; DJL
     * reports bfloat16 tensors as dtype unknown.
     */
    public static NDArray cast(NDArray x, DataType t) {
        boolean bf16 = WeightKernels.isBfloat16(x);
        if (t == DataType.BFLOAT16) return bf16 ? x : WeightKernels.toBfloat16(x);
        if (bf16) {
            NDArray f = WeightKernels.toFloat32(x);
            return t == DataType.FLOAT32 ? f : f.toType(t, false);
        }
        return x.getDataType() == t ? x : x.toType(t, false);
    }

    /** The dtype of {@code x}, naming bfloat16 (which DJL reports as unknown). */
    public static DataType dtypeOf(NDArray x) {
        return WeightKernels.isBfloat16(x) ? DataType.BFLOAT16 : x.getDataType();
    }

    public String describe() {
        return device + " " + dtypeName(dtype);
    }

    public static String dtypeName(DataType t) {
        return switch (t) {
            case FLOAT32 -> "float32";
            case BFLOAT16 -> "bfloat16";
            case FLOAT16 -> "float16";
            default -> t.toString().toLowerCase(Locale.ROOT);
        };
    }
}
