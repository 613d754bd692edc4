package absorb.runtime;

import absorb.AbsorbException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript program kept as a resource file and run by the same libtorch that runs everything else. Through DJL
 * every tensor operation is a native call of its own costing about 10 µs, which dominates decoding (one token at a
 * time); the TorchScript interpreter runs a whole decoder block in one call at about 1.5 µs per operation. Nothing is
 * downloaded or precompiled: the source is packed into a module archive at first use and compiled by libtorch, and
 * autograd runs through it as through any libtorch code.
 *
 * <p>A script is ordinary TorchScript Python, one {@code torch.nn.Module} subclass per file whose exported methods
 * are the kernels; {@code tools/check_kernels.py} compiles every script with {@code torch.jit.script}. libtorch's
 * archive importer reads a narrower dialect (the one {@code torch.jit.save} writes), so the source is translated
 * on loading, line by line:
 * <ul>
 *   <li>{@code from ... import ...} and {@code import X as Y} lines are dropped (the importer knows Tensor, List,
 *       Dict, Optional, Tuple and Final by themselves); an alias of {@code torch.nn.functional} is remembered;</li>
 *   <li>{@code class Name(torch.nn.Module):} becomes the module declaration the archive format needs, and
 *       {@code @torch.jit.export} lines are dropped (the importer compiles every method);</li>
 *   <li>{@code torch.nn.functional.f} (or its alias) becomes {@code torch.f} and {@code torch.linalg.f} becomes
 *       {@code torch.linalg_f}: the names of the same operators in the importer's one namespace;</li>
 *   <li>dtypes and memory formats ({@code torch.float32}, {@code torch.contiguous_format}, ...) become the codes
 *       libtorch gives them, from {@link #CODES}: the importer has no names for them;</li>
 *   <li>class constants {@code NAME: Final[int] = 3} are substituted where methods read {@code self.NAME} (the
 *       importer reads such constants but does not let methods see them).</li>
 * </ul>
 * Anything else is passed through unchanged, and libtorch reports errors with the line of the translated source.
 */
public final class TorchScript {

    /** libtorch's codes for the names of dtypes (c10::ScalarType) and memory formats that scripts may use. */
    static final Map<String, Integer> CODES = Map.ofEntries(
            Map.entry("uint8", 0), Map.entry("int8", 1), Map.entry("int16", 2), Map.entry("int32", 3),
            Map.entry("int64", 4), Map.entry("float16", 5), Map.entry("float32", 6), Map.entry("float64", 7),
            Map.entry("bool", 11), Map.entry("bfloat16", 15),
            Map.entry("contiguous_format", 0), Map.entry("preserve_format", 1));

    private static final Map<String, TorchScript> LOADED = new ConcurrentHashMap<>();
    private static final Pattern CLASS = Pattern.compile("^class (\\w+)\\(torch\\.nn\\.Module\\):\\s*$");
    private static final Pattern CONSTANT = Pattern.compile("^\\s+(\\w+)\\s*:\\s*Final\\[int\\]\\s*=\\s*(-?\\d+)\\s*(#.*)?$");
    private static final Pattern ALIAS = Pattern.compile("^import\\s+([\\w.]+)\\s+as\\s+(\\w+)\\s*$");
    private static final Pattern CODE_NAME = Pattern.compile("\\btorch\\.(\\w+)\\b(?!\\s*\\()");

    private final String resource;
    private final String className;
    private final String source;
    private final Map<String, Long> constants;
    private volatile PtSymbolBlock module;

    private TorchScript(String resource, String className, String source, Map<String, Long> constants) {
        this.resource = resource;
        this.className = className;
        this.source = source;
        this.constants = constants;
    }

    /** The script at {@code resource} (a class-path name such as {@code absorb/model/decoder.py}), loaded once. */
    public static TorchScript load(String resource) {
        return LOADED.computeIfAbsent(resource, r -> translate(r, read(r)));
    }

    private static String read(String resource) {
        try (InputStream in = TorchScript.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new AbsorbException("absorb's TorchScript resource " + resource + " is missing from the build.");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AbsorbException("Cannot read absorb's TorchScript resource " + resource + ": " + e.getMessage() + ".");
        }
    }

    /** The source in the importer's dialect (see the class comment). */
    static TorchScript translate(String resource, String python) {
        List<String> out = new ArrayList<>();
        Map<String, Long> constants = new LinkedHashMap<>();
        List<String> functionalAliases = new ArrayList<>();
        String className = null;
        int declarations = -1;
        for (String line : python.split("\n", -1)) {
            String stripped = line.strip();
            Matcher alias = ALIAS.matcher(stripped);
            if (alias.matches()) {
                if (alias.group(1).equals("torch.nn.functional")) functionalAliases.add(alias.group(2));
                continue;
            }
            if (stripped.startsWith("from ") && stripped.contains(" import ")) continue;
            if (stripped.equals("@torch.jit.export")) continue;
            Matcher cls = CLASS.matcher(line);
            if (cls.matches()) {
                if (className != null) throw new IllegalStateException(resource + " defines more than one module class");
                className = cls.group(1);
                out.add("class " + className + "(Module):");
                declarations = out.size();
                continue;
            }
            Matcher constant = CONSTANT.matcher(line);
            if (constant.matches()) constants.put(constant.group(1), Long.parseLong(constant.group(2)));
            out.add(line);
        }
        if (className == null) throw new IllegalStateException(resource + " defines no torch.nn.Module class");
        // the declarations go at the indentation of the class body
        String indent = "    ";
        for (int i = declarations; i < out.size(); i++) {
            String l = out.get(i);
            if (!l.isBlank() && !l.strip().startsWith("#")) {
                indent = l.substring(0, l.length() - l.stripLeading().length());
                break;
            }
        }
        out.addAll(declarations, List.of(indent + "__parameters__ = []", indent + "__buffers__ = []",
                indent + "training : bool"));
        String code = String.join("\n", out);
        for (String a : functionalAliases) code = code.replaceAll("\\b" + Pattern.quote(a) + "\\.(\\w+)", "torch.$1");
        code = code.replace("torch.nn.functional.", "torch.").replace("torch.linalg.", "torch.linalg_");
        code = CODE_NAME.matcher(code).replaceAll(m -> {
            Integer c = CODES.get(m.group(1));
            return c != null ? String.valueOf(c) : Matcher.quoteReplacement(m.group());
        });
        for (Map.Entry<String, Long> c : constants.entrySet()) {
            code = code.replaceAll("\\bself\\." + c.getKey() + "\\b", String.valueOf(c.getValue()));
        }
        return new TorchScript(resource, className, code, Map.copyOf(constants));
    }

    /** The class constants ({@code NAME: Final[int] = value}) the script defines. */
    public Map<String, Long> constants() {
        return constants;
    }

    /** The source as libtorch compiles it. */
    public String translatedSource() {
        return source;
    }

    public String resource() {
        return resource;
    }

    /** A method of the script, run as {@code mode} says. */
    public Kernel kernel(String method, Kernel.Mode mode) {
        return new Kernel(this, method, mode);
    }

    /** The compiled module, built on first use. */
    PtSymbolBlock module() {
        PtSymbolBlock m = module;
        if (m != null) return m;
        synchronized (this) {
            if (module != null) return module;
            Engine.getEngine("PyTorch");
            try {
                Path archive = Files.createTempFile("absorb-kernels", ".pt");
                try {
                    Files.write(archive, archive());
                    PtNDManager owner = (PtNDManager) NDManager.newBaseManager("PyTorch");
                    module = JniUtils.loadModule(owner, archive, false, new String[0], new String[0], false);
                } finally {
                    Files.deleteIfExists(archive);
                }
            } catch (IOException | RuntimeException e) {
                throw new AbsorbException("libtorch could not load absorb's TorchScript kernels " + resource + ": "
                        + e.getMessage(), e);
            }
            return module;
        }
    }

    /** A TorchScript module archive (format version 3): the source, the pickled module and its (no) constants. */
    byte[] archive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "kernels/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "kernels/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            stored(zip, "kernels/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
            stored(zip, "kernels/data.pkl", modulePickle("__torch__", className));
        }
        return bytes.toByteArray();
    }

    /**
     * The module's state as libtorch's unpickler expects it: pickle protocol 2 of an instance of {@code module.cls}
     * (GLOBAL, EMPTY_TUPLE, NEWOBJ) whose state is {'training': False} (EMPTY_DICT, the key, NEWFALSE, SETITEM, BUILD).
     */
    private static byte[] modulePickle(String module, String cls) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.write('c');
        p.write((module + "\n" + cls + "\n").getBytes(StandardCharsets.US_ASCII));
        p.write(')');
        p.write(0x81);
        p.write('}');
        unicode(p, "training");
        p.write(0x89);
        p.write('s');
        p.write('b');
        p.write('.');
        return p.toByteArray();
    }

    /** BINUNICODE: 'X', the length as four little-endian bytes, the UTF-8 bytes. */
    private static void unicode(OutputStream p, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.write(new byte[] {(byte) b.length, (byte) (b.length >> 8), (byte) (b.length >> 16), (byte) (b.length >> 24)});
        p.write(b);
    }

    /** Archive entries are stored uncompressed, as torch.jit.save writes them. */
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
}
