"""Compiles every TorchScript kernel script of absorb with torch.jit.script, as a linter would.

absorb loads these files itself (absorb.runtime.TorchScript translates them to the dialect libtorch's archive
importer reads); this check makes sure that they are ordinary TorchScript Python as PyTorch's own compiler reads it,
and runs each kernel once on small inputs against the same computation in eager PyTorch where one is cheap to write.

    python tools/check_kernels.py
"""
import importlib.util
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src" / "main" / "resources" / "absorb"


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [v for v in vars(module).values()
               if isinstance(v, type) and issubclass(v, torch.nn.Module) and v is not torch.nn.Module]
    if len(classes) != 1:
        raise SystemExit(f"{path}: expected one torch.nn.Module class, found {len(classes)}")
    return torch.jit.script(classes[0]())


def check_decoder(decoder):
    torch.manual_seed(0)
    x = torch.randn(1, 3, 8)
    w = torch.rand(8) + 0.5
    eager = w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))
    assert torch.allclose(decoder.rms_norm(x, w, 1e-6), eager, atol=1e-6)
    weight = torch.randn(6, 8)
    bias = torch.randn(6)
    assert torch.allclose(decoder.product(x, weight, bias, False), x @ weight.T + bias, atol=1e-5)
    assert torch.allclose(decoder.product(x, weight.T.contiguous(), torch.empty(0), True), x @ weight.T, atol=1e-5)


def main():
    scripts = sorted(ROOT.rglob("*.py"))
    if not scripts:
        raise SystemExit(f"no kernel scripts under {ROOT}")
    for path in scripts:
        compiled = load(path)
        print(f"{path.relative_to(ROOT.parent.parent.parent.parent)}: compiled ({compiled.original_name})")
        if path.name == "decoder.py":
            check_decoder(compiled)
            print("  rms_norm and product agree with eager PyTorch")
    print(f"{len(scripts)} scripts compile with torch.jit.script (torch {torch.__version__})")


if __name__ == "__main__":
    sys.exit(main())
