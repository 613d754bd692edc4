package absorb.model;

import absorb.AbsorbException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The few tensor operations that DJL's API does not offer, written in TorchScript and run by the same libtorch:
 * conversions to and from bfloat16 (DJL has no bfloat16 tensors) and fused SiLU-gating. The TorchScript program
 * below is packed into a module archive at first use; nothing is downloaded or precompiled.
 */
public final class TorchKernels {

    /** The program. {@code torch.to(x, 15)} is bfloat16, 6 float32 (c10::ScalarType codes). */
    static final String SOURCE = """
            class Kernels(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def forward(self: __torch__.Kernels,
                x: Tensor) -> Tensor:
                return x
              def to_bfloat16(self: __torch__.Kernels,
                x: Tensor) -> Tensor:
                return torch.to(x, 15)
              def to_float32(self: __torch__.Kernels,
                x: Tensor) -> Tensor:
                return torch.to(x, 6)
              def silu_mul(self: __torch__.Kernels,
                gate: Tensor,
                up: Tensor) -> Tensor:
                return torch.mul(torch.silu(gate), up)
            """;

    private static PtSymbolBlock module;
    private static PtNDManager owner;

    private TorchKernels() {}

    private static synchronized PtSymbolBlock module() {
        if (module != null) return module;
        Engine.getEngine("PyTorch");
        try {
            Path archive = Files.createTempFile("absorb-kernels", ".pt");
            try {
                Files.write(archive, archive());
                owner = (PtNDManager) NDManager.newBaseManager("PyTorch");
                module = JniUtils.loadModule(owner, archive, false, new String[0], new String[0], false);
            } finally {
                Files.deleteIfExists(archive);
            }
        } catch (IOException | RuntimeException e) {
            throw new AbsorbException("libtorch could not load absorb's TorchScript kernels: " + e.getMessage(), e);
        }
        return module;
    }

    /** A TorchScript module archive (format version 3): the source, the pickled module and its constants. */
    static byte[] archive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "kernels/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "kernels/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
            stored(zip, "kernels/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "kernels/data.pkl", modulePickle("__torch__", "Kernels"));
        }
        return bytes.toByteArray();
    }

    /** pickle protocol 2 of an instance of {@code module.cls} whose state is {'training': False}. */
    private static byte[] modulePickle(String module, String cls) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.write('c');
        p.write((module + "\n" + cls + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')'); // EMPTY_TUPLE
        p.write(0x81); // NEWOBJ
        p.write('}'); // EMPTY_DICT
        unicode(p, "training");
        p.write(0x89); // NEWFALSE
        p.write('s'); // SETITEM
        p.write('b'); // BUILD
        p.write('.'); // STOP
        return p.toByteArray();
    }

    private static void unicode(OutputStream p, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(new byte[] {(byte) b.length, (byte) (b.length >> 8), (byte) (b.length >> 16), (byte) (b.length >> 24)});
        p.write(b);
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static NDArray call(String method, NDArray... args) {
        IValue[] in = new IValue[args.length];
        try {
            for (int i = 0; i < args.length; i++) in[i] = IValue.from((PtNDArray) args[i]);
            try (IValue out = IValueUtils.runMethod(module(), method, in)) {
                return out.toTensor((PtNDManager) args[0].getManager());
            }
        } finally {
            for (IValue v : in) if (v != null) v.close();
        }
    }

    /** x as bfloat16 (DJL reports such tensors as dtype unknown). */
    public static NDArray toBfloat16(NDArray x) {
        return call("to_bfloat16", x);
    }

    public static NDArray toFloat32(NDArray x) {
        return call("to_float32", x);
    }

    /** silu(gate) * up, one fused call. */
    public static NDArray siluMul(NDArray gate, NDArray up) {
        return call("silu_mul", gate, up);
    }

    /** Whether {@code x} holds bfloat16 (the dtype DJL cannot name). */
    public static boolean isBfloat16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }
}
