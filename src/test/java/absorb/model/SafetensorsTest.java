package absorb.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a matrix straight into its transpose, in blocks of rows, for every stored dtype. */
class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void readTransposedEqualsTheTransposeOfRead() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            float[] v = new float[37 * 5];
            for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i * 0.37) * (i % 7 - 3);
            NDArray f32 = m.create(v, new Shape(37, 5));
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("f32", f32);
            t.put("f16", f32.toType(DataType.FLOAT16, true));
            t.put("bf16", WeightKernels.toBfloat16(f32));
            Path file = tmp.resolve("m.safetensors");
            Safetensors.write(file, t, Map.of());
            try (Safetensors st = Safetensors.open(file)) {
                for (String name : t.keySet()) {
                    float[] expected = st.read(m, name, DataType.FLOAT32).transpose(1, 0).flatten().toFloatArray();
                    for (long block : new long[] {1, 3 * 5 * 4, 64L << 20}) { // one row, three rows, all at once
                        NDArray got = st.readTransposed(m, name, DataType.FLOAT32, block);
                        assertEquals(new Shape(5, 37), got.getShape(), name);
                        assertArrayEquals(expected, got.flatten().toFloatArray(), name + " in blocks of " + block + " bytes");
                    }
                }
            }
        }
    }
}
