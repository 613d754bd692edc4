package absorb.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The translation of ordinary TorchScript Python into the importer's dialect, and running what it gives. */
class TorchScriptTest {
    private static final String SOURCE = """
            import torch
            from torch import Tensor
            from typing import Final, List
            import torch.nn.functional as F


            class Probe(torch.nn.Module):
                SLOT: Final[int] = 2  # a list slot

                @torch.jit.export
                def pick(self, xs: List[Tensor]) -> Tensor:
                    return F.silu(xs[self.SLOT].to(torch.float32))

                @torch.jit.export
                def norm(self, x: Tensor) -> Tensor:
                    return torch.linalg.vector_norm(x.to(torch.bfloat16), 2.).to(torch.float32)
            """;

    @Test
    void translatesTheDialectDifferences() {
        TorchScript s = TorchScript.translate("probe.py", SOURCE);
        String code = s.translatedSource();
        assertEquals(Map.of("SLOT", 2L), s.constants());
        assertTrue(code.contains("class Probe(Module):\n    __parameters__ = []\n    __buffers__ = []\n    training : bool"),
                code);
        assertTrue(code.contains("torch.silu(xs[2].to(6))"), code);
        assertTrue(code.contains("torch.linalg_vector_norm(x.to(15), 2.).to(6)"), code);
        assertFalse(code.contains("from typing") || code.contains("@torch.jit.export") || code.contains(" as F"), code);
    }

    @Test
    void translatedScriptRunsInLibtorch() {
        TorchScript s = TorchScript.translate("probe.py", SOURCE);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray[] xs = {m.create(new float[] {1}), m.create(new float[] {2}), m.create(new float[] {-1, 3})};
            try (var list = ai.djl.pytorch.jni.IValue.listFrom(java.util.Arrays.stream(xs)
                    .map(a -> (ai.djl.pytorch.engine.PtNDArray) a).toArray(ai.djl.pytorch.engine.PtNDArray[]::new))) {
                float[] got = s.kernel("pick", Kernel.Mode.COMPUTES).tensor(m, list).toFloatArray();
                // silu(v) = v / (1 + e^-v)
                assertEquals(-1 / (1 + Math.exp(1)), got[0], 1e-6);
                assertEquals(3 / (1 + Math.exp(-3)), got[1], 1e-6);
            }
            float n = s.kernel("norm", Kernel.Mode.COMPUTES).tensor(m, m.create(new float[] {3, 4})).getFloat();
            assertEquals(5f, n, 0f); // 3, 4 and 5 are exact in bfloat16
        }
    }

    @Test
    void aScriptLibtorchRejectsNamesItsResource() {
        TorchScript bad = TorchScript.translate("absorb/bad.py", """
                import torch
                class Bad(torch.nn.Module):
                    def f(self, x: Tensor) -> Tensor:
                        return x.no_such_method()
                """);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            AbsorbException e = org.junit.jupiter.api.Assertions.assertThrows(AbsorbException.class,
                    () -> bad.kernel("f", Kernel.Mode.COMPUTES).tensor(m, m.create(new float[] {1})));
            assertTrue(e.getMessage().contains("absorb/bad.py"), e.getMessage());
        }
    }

    @Test
    void everyShippedScriptLoads() {
        for (String r : new String[] {"absorb/model/decoder.py", "absorb/model/weights.py", "absorb/train/loss.py",
            "absorb/train/adamw.py"}) {
            TorchScript.load(r).module();
        }
    }
}
