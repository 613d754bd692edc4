# The causal language-modelling loss at the output layer, with its gradients written out rather than left to
# autograd, run by libtorch as TorchScript (see absorb.train.CausalLmLoss).
import torch
from torch import Tensor
from typing import List, Optional, Tuple


class Loss(torch.nn.Module):

    @torch.jit.export
    def select_rows(self, hidden: Tensor, rows: Tensor) -> Tensor:
        # the flattened positions rows of hidden [..., width], as [n, width]
        return torch.index_select(hidden.reshape([-1, hidden.size(-1)]), 0, rows)

    def head_logits(self, hd: Tensor, head: Tensor, transposed: bool, work: Tensor) -> Tensor:
        # lm_head(hd) in float32, for rows hd [n, width]; written into work (a flat float32 buffer) when the head is
        # float32 and work is large enough, else into memory of its own
        n = hd.size(0)
        vocab = head.size(0)
        if transposed:
            vocab = head.size(1)
        if head.dtype == torch.float32 and work.numel() >= n * vocab:
            logits = work.narrow(0, 0, n * vocab).view([n, vocab])
            if transposed:
                torch.mm(hd, head, out=logits)
            else:
                torch.mm(hd, head.t(), out=logits)
            return logits
        if transposed:
            return torch.matmul(hd, head).to(torch.float32)
        return torch.nn.functional.linear(hd, head).to(torch.float32)

    @torch.jit.export
    def head_gradients(self, hd: Tensor, labels: Tensor, head: Tensor, transposed: bool, scale: float,
                       weight_grad: bool, work: Tensor, acc: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        # The cross-entropy of lm_head(hd) for the rows hd [n, width] against labels, and its gradients written out
        # rather than left to autograd: d/dlogits = softmax - onehot takes one fused softmax over the logits, in place,
        # where autograd's log_softmax and nll_loss backward take three passes and a zero fill. The logits live in
        # work when it is large enough (see head_logits): a buffer reused from step to step costs no fresh pages.
        # Runs without autograd. Returns the summed loss (float32), scale * dL/dhd and, with weight_grad,
        # scale * dL/dW in W's stored layout; when W already has a gradient (acc; empty when none), dL/dW is added to
        # it here (one product into it, no tensor of its own) and the third result is empty, as it is without
        # weight_grad.
        logits = self.head_logits(hd, head, transposed, work)
        at = labels.unsqueeze(1)
        g = torch.softmax(logits, -1, out=logits)
        picked = torch.gather(g, 1, at)
        if bool(torch.min(picked) > 0.):
            loss = -torch.sum(torch.log(picked))
        else:
            # a label's probability underflowed: the loss from the log-sum-exp stays finite (the logits are computed
            # again, since the softmax replaced them; this happens only with extreme logits)
            z = self.head_logits(hd, head, transposed, torch.empty([0], dtype=torch.float32))
            loss = torch.sum(torch.logsumexp(z, [-1], True) - torch.gather(z, 1, at))
        g.scatter_add_(1, at, torch.full([at.size(0), 1], -1., dtype=torch.float32))
        g = g.to(head.dtype)
        if transposed:
            gh = torch.matmul(g, head.t()) * scale
        else:
            gh = torch.matmul(g, head) * scale
        gw = torch.empty([0], dtype=head.dtype)
        if weight_grad:
            if acc.numel() == 0:
                hs = hd * scale
                if transposed:
                    gw = torch.matmul(hs.t(), g)
                else:
                    gw = torch.matmul(g.t(), hs)
            else:
                if transposed:
                    acc.addmm_(hd.t(), g, beta=1., alpha=scale)
                else:
                    acc.addmm_(g.t(), hd, beta=1., alpha=scale)
        return (loss, gh, gw)

    @torch.jit.export
    def head_backward(self, h: Tensor, gh: Tensor, head: Tensor, gw: Tensor) -> int:
        # Backpropagates head_gradients' results: gh into the rows h (and from there through the model), gw (when
        # given) into the head weight's gradient
        if gw.numel() > 0:
            grads: List[Optional[Tensor]] = [gh, gw]
            torch.autograd.backward([h, head], grads)
        else:
            only: List[Optional[Tensor]] = [gh]
            torch.autograd.backward([h], only)
        return 0

    @torch.jit.export
    def embedding_rows(self, ids: Tensor, table: Tensor, transposed: bool) -> Tensor:
        # the embeddings of ids ([vocab, hidden] table, or [hidden, vocab] when transposed), made outside autograd
        if transposed:
            return torch.embedding(table.t(), ids)
        return torch.embedding(table, ids)

    @torch.jit.export
    def add_embedding_grads(self, table: Tensor, ids: Tensor, rows_grad: Tensor, transposed: bool) -> int:
        # table.grad[id] += the gradient of that id's embedding row, for every token
        g = table.grad
        if g is not None:
            flat = rows_grad.reshape([-1, rows_grad.size(-1)])
            if transposed:
                g.index_add_(1, ids.reshape([-1]), flat.t())
            else:
                g.index_add_(0, ids.reshape([-1]), flat)
        return 0
