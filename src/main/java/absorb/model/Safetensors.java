package absorb.model;

import absorb.io.AtomicFile;
import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON describing each tensor (dtype,
 * shape, byte range in the data section), then the data. Reading validates the whole header before any tensor is
 * touched and maps tensor bytes from the file rather than reading the file into memory.
 */
public final class Safetensors implements AutoCloseable {
    /** A tensor as the header describes it; {@code begin} and {@code end} are offsets into the data section. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** Headers above this size are refused, as the reference implementation does. */
    static final long MAX_HEADER = 100L << 20;

    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1), Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2),
            Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8));

    /** The dtypes absorb computes with. */
    public static final List<String> READABLE = List.of("F32", "F16", "BF16");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Safetensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}; a malformed file is refused with one sentence naming it. */
    public static Safetensors open(Path file) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new AbsorbException("absorb reads safetensors files only on little-endian machines.");
        }
        if (!Files.isRegularFile(file)) throw new AbsorbException("Weights file " + file + " does not exist.");
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".", e);
        }
        try {
            return parse(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Safetensors parse(Path file, FileChannel channel) {
        long size;
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try {
            size = channel.size();
            if (size < 8) throw bad(file, "is " + size + " bytes long, shorter than the 8-byte header length");
            readFully(channel, prefix, 0);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".", e);
        }
        long n = prefix.getLong(0);
        if (n <= 0 || n > MAX_HEADER) throw bad(file, "declares a header of " + Long.toUnsignedString(n) + " bytes");
        if (n > size - 8) {
            throw bad(file, "declares a header of " + n + " bytes but has only " + (size - 8) + " after the length"
                    + " (truncated?)");
        }
        ByteBuffer header = ByteBuffer.allocate((int) n);
        try {
            readFully(channel, header, 8);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read " + file + ": " + AtomicFile.describe(e) + ".", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(file, "has a header that is not valid JSON");
        }
        if (root == null || !root.isObject()) throw bad(file, "has a header that is not a JSON object");
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            if (f.getKey().equals("__metadata__")) {
                if (!f.getValue().isObject()) throw bad(file, "has __metadata__ that is not a JSON object");
                f.getValue().properties().forEach(m -> {
                    if (!m.getValue().isTextual()) throw bad(file, "has a non-string __metadata__ value " + m.getKey());
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            entries.put(f.getKey(), entry(file, f.getKey(), f.getValue(), dataSize));
        }
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.begin() < prev.end() && cur.end() > cur.begin()) {
                throw bad(file, "has tensors " + prev.name() + " and " + cur.name() + " whose bytes overlap");
            }
        }
        return new Safetensors(file, channel, dataStart, Collections.unmodifiableMap(entries),
                Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataSize) {
        if (!node.isObject()) throw bad(file, "describes tensor " + name + " with something other than an object");
        JsonNode dtypeNode = node.get("dtype"), shapeNode = node.get("shape"), offsets = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw bad(file, "gives tensor " + name + " no dtype");
        String dtype = dtypeNode.asText();
        Integer elementBytes = DTYPE_BYTES.get(dtype);
        if (elementBytes == null) throw bad(file, "gives tensor " + name + " the unknown dtype " + dtype);
        if (shapeNode == null || !shapeNode.isArray()) throw bad(file, "gives tensor " + name + " no shape");
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw bad(file, "gives tensor " + name + " a shape that is not a list of non-negative integers");
            }
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException overflow) {
                throw bad(file, "gives tensor " + name + " a shape too large to address");
            }
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).isIntegralNumber()) {
            throw bad(file, "gives tensor " + name + " no data_offsets pair");
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) throw bad(file, "gives tensor " + name + " the byte range [" + begin + ", " + end + ")");
        if (end > dataSize) {
            throw bad(file, "places tensor " + name + " at bytes [" + begin + ", " + end + ") but the data section has "
                    + dataSize + " bytes (truncated?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, elementBytes);
        } catch (ArithmeticException overflow) {
            throw bad(file, "gives tensor " + name + " a shape too large to address");
        }
        if (end - begin != expected) {
            throw bad(file, "says tensor " + name + " is " + dtype + " " + java.util.Arrays.toString(shape) + " ("
                    + expected + " bytes) but gives it " + (end - begin) + " bytes");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static AbsorbException bad(Path file, String what) {
        return new AbsorbException("Safetensors file " + file + " " + what + ".");
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int r = channel.read(buffer, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
        buffer.flip();
    }

    public Path file() {
        return file;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new AbsorbException("Safetensors file " + file + " has no tensor " + name + ".");
        return e;
    }

    /** Maps DJL types to safetensors dtype names and back. */
    public static DataType dataType(Path file, Entry e) {
        return switch (e.dtype()) {
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "BF16" -> DataType.BFLOAT16;
            default -> throw new AbsorbException("Tensor " + e.name() + " in " + file + " has dtype " + e.dtype()
                    + "; absorb reads " + String.join(", ", READABLE) + ".");
        };
    }

    public static String dtypeName(DataType t) {
        return switch (t) {
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("no safetensors dtype for " + t);
        };
    }

    /**
     * Reads tensor {@code name} into native memory owned by {@code manager}, converted to {@code target}. The file
     * bytes are mapped, copied once (converting the dtype), and unmapped.
     */
    public NDArray read(NDManager manager, String name, DataType target) {
        Entry e = entry(name);
        DataType stored = dataType(file, e);
        Shape shape = new Shape(e.shape());
        long bytes = e.end() - e.begin();
        if (e.numel() == 0) return manager.zeros(shape, target);
        if (bytes <= (1L << 30) || e.shape().length < 2) {
            return readRange(manager, e.begin(), bytes, shape, stored, target);
        }
        // A tensor above 1 GiB (a large embedding) is read in blocks of rows: one mapping must stay under 2 GiB.
        NDList parts = new NDList();
        try {
            for (RowBlock b : rowBlocks(e, 1L << 30)) {
                parts.add(readRange(manager, b.offset(), b.length(), b.shape(), stored, target));
            }
            return NDArrays.concat(parts, 0);
        } finally {
            parts.close();
        }
    }

    /**
     * Reads 2-D tensor {@code name} ([rows, cols] in the file) as its transpose, [cols, rows], in {@code target}: in
     * blocks of rows of at most 64 MiB, each copied into its columns, so that memory holds the result and one block,
     * never the tensor twice.
     */
    public NDArray readTransposed(NDManager manager, String name, DataType target) {
        return readTransposed(manager, name, target, 64L << 20);
    }

    NDArray readTransposed(NDManager manager, String name, DataType target, long blockBytes) {
        Entry e = entry(name);
        if (e.shape().length != 2) throw new IllegalArgumentException(name + " is not a matrix");
        long rows = e.shape()[0], cols = e.shape()[1];
        DataType stored = dataType(file, e);
        if (e.numel() == 0) return manager.zeros(new Shape(cols, rows), target);
        NDArray dst = null;
        try {
            for (RowBlock b : rowBlocks(e, blockBytes)) {
                try (NDManager scratch = manager.newSubManager()) {
                    NDArray block = readRange(scratch, b.offset(), b.length(), b.shape(), stored, target);
                    if (dst == null) {
                        dst = WeightKernels.emptyLike(block, (int) cols, (int) rows);
                        dst.attach(manager);
                    }
                    WeightKernels.copyColumns(dst, block, (int) b.firstRow());
                }
            }
            return dst;
        } catch (RuntimeException ex) {
            if (dst != null) dst.close();
            throw ex;
        }
    }

    /** Rows {@code firstRow} onward of a tensor: their shape, and where their bytes lie in the data section. */
    private record RowBlock(long firstRow, Shape shape, long offset, long length) {}

    /** A tensor (of at least one row) cut into blocks of whole rows of at most {@code maxBytes} (one row at least). */
    private static List<RowBlock> rowBlocks(Entry e, long maxBytes) {
        long rows = e.shape()[0], rowBytes = (e.end() - e.begin()) / rows;
        long perBlock = Math.max(1, maxBytes / rowBytes);
        List<RowBlock> out = new ArrayList<>();
        for (long r = 0; r < rows; r += perBlock) {
            long n = Math.min(perBlock, rows - r);
            long[] shape = e.shape().clone();
            shape[0] = n;
            out.add(new RowBlock(r, new Shape(shape), e.begin() + r * rowBytes, n * rowBytes));
        }
        return out;
    }

    private NDArray readRange(NDManager manager, long offset, long length, Shape shape, DataType stored,
            DataType target) {
        MappedByteBuffer mapped;
        try {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + offset, length);
        } catch (IOException e) {
            throw new AbsorbException("Cannot map " + file + ": " + AtomicFile.describe(e) + ".", e);
        }
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (stored == DataType.BFLOAT16) return bfloat16(manager, mapped, shape, target);
            try (NDManager scratch = manager.newSubManager()) {
                // The blob view aliases the read-only mapping; the cast copies into the tensor's own memory.
                NDArray view = scratch.create(mapped, shape, stored);
                NDArray owned = stored == target ? view.duplicate() : Compute.cast(view, target);
                owned.attach(manager);
                return owned;
            }
        } finally {
            unmap(mapped);
        }
    }

    /**
     * bfloat16 is the upper half of a float32, so widening is a shift: the bits go straight into a float32 tensor's
     * memory, which is then cast to the target dtype.
     */
    private static NDArray bfloat16(NDManager manager, MappedByteBuffer mapped, Shape shape, DataType target) {
        NDArray wide = manager.zeros(shape, DataType.FLOAT32);
        java.nio.IntBuffer out = wide.toByteBuffer(true).order(ByteOrder.nativeOrder()).asIntBuffer();
        java.nio.ShortBuffer in = mapped.asShortBuffer();
        int n = in.remaining();
        short[] block = new short[Math.min(n, 1 << 16)];
        int[] bits = new int[block.length];
        for (int done = 0; done < n; done += block.length) {
            int k = Math.min(block.length, n - done);
            in.get(block, 0, k);
            for (int i = 0; i < k; i++) bits[i] = block[i] << 16;
            out.put(bits, 0, k);
        }
        if (target == DataType.FLOAT32) return wide;
        NDArray cast = Compute.cast(wide, target);
        cast.attach(manager);
        wide.close();
        return cast;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only channel: nothing is lost
        }
    }

    private static final Object UNSAFE = findUnsafe();

    private static Object findUnsafe() {
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Releases a mapping now rather than at some later garbage collection, so peak memory stays at one copy. */
    private static void unmap(MappedByteBuffer buffer) {
        if (UNSAFE == null) return;
        try {
            UNSAFE.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // the mapping is released when the buffer is collected
        }
    }

    /** The little-endian bytes of a tensor; bfloat16 is narrowed from float32 with round-to-nearest-even. */
    static ByteBuffer bytesOf(NDArray a) {
        if (!WeightKernels.isBfloat16(a)) return a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        try (NDArray wide = WeightKernels.toFloat32(a)) {
            float[] f = wide.toFloatArray();
            ByteBuffer out = ByteBuffer.allocate(f.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : f) out.putShort(toBfloat16Bits(v));
            return out.flip();
        }
    }

    /** The bfloat16 nearest to {@code v} (ties to even), as torch rounds; NaN stays NaN. */
    static short toBfloat16Bits(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /**
     * Writes {@code tensors} (in their own dtypes) and {@code metadata} to {@code file}, atomically. Tensors are
     * laid out in the given order.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
            NDArray a = t.getValue();
            DataType type = Compute.dtypeOf(a);
            long bytes = a.size() * (type == DataType.BFLOAT16 ? 2 : type.getNumOfBytes());
            ObjectNode e = header.putObject(t.getKey());
            e.put("dtype", dtypeName(type));
            ArrayNode shape = e.putArray("shape");
            for (long d : a.getShape().getShape()) shape.add(d);
            ArrayNode off = e.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) headerBytes[i] = ' ';
        AtomicFile.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            byte[] chunk = new byte[1 << 20];
            for (NDArray a : tensors.values()) {
                ByteBuffer data = bytesOf(a);
                while (data.hasRemaining()) {
                    int n = Math.min(chunk.length, data.remaining());
                    data.get(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }
        });
    }
}
