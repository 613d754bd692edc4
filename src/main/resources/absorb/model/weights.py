# Operations on weights while a model is loaded, laid out and merged, run by libtorch as TorchScript (see
# absorb.model.WeightKernels). They run outside inference mode: their results become weights, which may be trained
# against later (a tensor made in inference mode can never enter autograd).
import torch
from torch import Tensor
from typing import List


class Weights(torch.nn.Module):

    @torch.jit.export
    def to_bfloat16(self, x: Tensor) -> Tensor:
        return x.to(torch.bfloat16)

    @torch.jit.export
    def to_float32(self, x: Tensor) -> Tensor:
        return x.to(torch.float32)

    @torch.jit.export
    def empty_like(self, like: Tensor, rows: int, cols: int) -> Tensor:
        # an uninitialised [rows, cols] tensor of like's dtype
        return torch.empty([rows, cols], dtype=like.dtype)

    @torch.jit.export
    def copy_columns(self, dst: Tensor, src: Tensor, start: int) -> int:
        # dst[:, start : start + n] = src^T, for src [n, rows of dst]
        dst.narrow(1, start, src.size(0)).copy_(src.t())
        return start

    @torch.jit.export
    def fuse(self, parts: List[Tensor], dim: int) -> List[Tensor]:
        # one tensor holding parts side by side along dim, then each part as a view of it
        whole = torch.cat(parts, dim)
        out: List[Tensor] = [whole]
        start = 0
        for p in parts:
            out.append(whole.narrow(dim, start, p.size(dim)))
            start = start + p.size(dim)
        return out

    @torch.jit.export
    def add_into(self, dst: Tensor, delta: Tensor) -> int:
        # dst += delta in place (computed in the wider dtype, rounded to dst's), views included
        dst.add_(delta)
        return 0

    @torch.jit.export
    def copy_into(self, dst: Tensor, src: Tensor) -> int:
        # dst[...] = src in place (same shape, cast to dst's dtype), a weight that autograd tracks included: the copy
        # goes through a detached view of it, so autograd does not record it
        dst.detach().copy_(src)
        return 0

    @torch.jit.export
    def own_copy(self, x: Tensor) -> Tensor:
        # x in memory of its own, row-major (a view becomes a tensor)
        return x.clone(memory_format=torch.contiguous_format)
