# One AdamW step with clipping of the global gradient norm, as torch.optim.AdamW and clip_grad_norm_, run by libtorch
# as TorchScript (see absorb.train.AdamW).
import torch
from torch import Tensor
from typing import List


class AdamW(torch.nn.Module):

    def gradients(self, params: List[Tensor]) -> List[Tensor]:
        # each parameter's gradient, zeros where it has none
        grads: List[Tensor] = []
        for p in params:
            g = p.grad
            if g is None:
                grads.append(torch.zeros_like(p))
            else:
                grads.append(g)
        return grads

    @torch.jit.export
    def step(self, params: List[Tensor], exp_avg: List[Tensor], exp_avg_sq: List[Tensor], plain_params: List[Tensor],
             plain_exp_avg: List[Tensor], plain_exp_avg_sq: List[Tensor], weight_decay: float, step: int, lr: float,
             beta1: float, beta2: float, eps: float, max_norm: float) -> Tensor:
        # clip_grad_norm_ over all gradients (total = ||(||g_i||_2)_i||_2, g *= min(1, max_norm / (total + 1e-6))),
        # then AdamW as torch.optim.AdamW, with weight_decay for params and none for plain_params, then the gradients
        # are zeroed for the next step. The update is libtorch's fused AdamW: one pass over parameter, gradient and
        # moments per tensor (the lists it updates must be arguments, not lists made here, or TorchScript drops the
        # call as having no visible effect).
        grads = self.gradients(params)
        plain_grads = self.gradients(plain_params)
        every = grads + plain_grads
        norms: List[Tensor] = []
        for g in every:
            norms.append(torch.linalg.vector_norm(g, 2.))
        total = torch.linalg.vector_norm(torch.stack(norms), 2.)
        if max_norm > 0.:
            coef = torch.clamp(torch.reciprocal(total + 1e-6) * max_norm, None, 1.)
            for g in every:
                g.mul_(coef)
        count = torch.full([], step, dtype=torch.float32)
        steps: List[Tensor] = []
        for p in params:
            steps.append(count)
        plain_steps: List[Tensor] = []
        for p in plain_params:
            plain_steps.append(count)
        no_max: List[Tensor] = []
        if len(params) > 0:
            torch._fused_adamw_(params, grads, exp_avg, exp_avg_sq, no_max, steps, lr=lr, beta1=beta1, beta2=beta2,
                                weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
        if len(plain_params) > 0:
            torch._fused_adamw_(plain_params, plain_grads, plain_exp_avg, plain_exp_avg_sq, no_max, plain_steps, lr=lr,
                                beta1=beta1, beta2=beta2, weight_decay=0., eps=eps, amsgrad=False, maximize=False)
        for g in every:
            g.zero_()
        return total

    @torch.jit.export
    def hold_gradient(self, param: Tensor, keep: Tensor):
        # zeroes the gradient where keep is 0 (held entries neither move nor count in the norm that clipping uses)
        g = param.grad
        if g is not None:
            g.mul_(keep)

    @torch.jit.export
    def restore(self, param: Tensor, keep: Tensor, start: Tensor):
        # puts the held entries back to their values when holding began (undoing weight decay, which moves them)
        param.mul_(keep).add_(start)

    @torch.jit.export
    def anchor(self, params: List[Tensor], starts: List[Tensor], rate: float):
        # p += rate * (start - p): decay toward the starting weights instead of toward zero, in one pass per tensor
        torch._foreach_lerp_(params, starts, rate)
