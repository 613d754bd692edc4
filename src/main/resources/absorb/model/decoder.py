# The decoder of Llama, Qwen2 and Mistral as transformers computes it, run by libtorch as TorchScript (see
# absorb.model.DecoderKernels for why, and absorb.runtime.TorchScript for how this file is loaded).
#
# Weights are passed per block as a dict keyed by transformers' names, relative to the block
# ("self_attn.q_proj.weight", "mlp.down_proj.bias", "input_layernorm.weight"):
#   NAME.weight     a projection's weight as checkpoints store it, [out, in]
#   NAME.weight.T   the same weight kept transposed, [in, out] (wide projections, see absorb.model.Linear)
#   NAME.bias       its bias, where the checkpoint has one
#   NAME.lora_A.weight, NAME.lora_B.weight
#                   a LoRA adapter on it (PEFT's names), [rank, in] and [out, rank]; its scaling is in the model's
#                   dict of scalings under the module's full name (model.layers.3.self_attn.q_proj)
#   self_attn.qkv_proj.*, mlp.gate_up_proj.*
#                   q, k and v side by side in one weight, and gate and up in another, whose views the separate
#                   projections are (see Transformer.fuse): one product instead of three or two
# Arguments that may be absent are empty tensors: Java cannot pass None through DJL.
import torch
from torch import Tensor
from typing import Dict, List, Optional, Tuple
import torch.nn.functional as F


class Decoder(torch.nn.Module):

    @torch.jit.export
    def rms_norm(self, x: Tensor, weight: Tensor, eps: float) -> Tensor:
        # weight * x / sqrt(mean(x^2) + eps), in float32, cast back before the weight (as transformers)
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean([-1], keepdim=True) + eps)
        return weight * h.to(x.dtype)

    @torch.jit.export
    def product(self, x: Tensor, weight: Tensor, bias: Tensor, transposed: bool) -> Tensor:
        # x W^T + b, with W stored [in, out] when transposed (bias empty when absent)
        b: Optional[Tensor] = None
        if bias.numel() > 0:
            b = bias
        return self.matmul(x, weight, b, transposed)

    def matmul(self, x: Tensor, weight: Tensor, bias: Optional[Tensor], transposed: bool) -> Tensor:
        # x W^T + b. One row against a large weight is a matrix-vector product, which libtorch runs on one thread
        # whatever its thread count and which is bound by memory bandwidth: as two half products in one batched
        # product it runs on two threads (about 1.4 times the bandwidth on the development machine). Only on the CPU
        # and in float32: libtorch's batched bfloat16 product there is much slower than its plain one, and a GPU runs
        # a matrix-vector product on all its cores anyway.
        n = weight.size(0)
        if transposed:
            n = weight.size(1)
        k = x.size(-1)
        split = x.numel() == k and weight.numel() >= 131072 and not weight.is_cuda
        if split and n % 2 == 0 and weight.dtype == torch.float32:
            h = n // 2
            # halves[b] = the columns b*h .. b*h+h-1 of W^T, as views of the weight whatever its strides
            s0 = weight.stride(0)
            s1 = weight.stride(1)
            if transposed:
                halves = weight.as_strided([2, k, h], [h * s1, s0, s1])
            else:
                halves = weight.as_strided([2, k, h], [h * s0, s1, s0])
            y = torch.bmm(x.reshape([1, 1, k]).expand([2, 1, k]), halves)
            y = y.transpose(0, 1).reshape(x.size()[:-1] + [n])
            if bias is not None:
                y = y + bias
            return y
        if transposed:
            y = torch.matmul(x, weight)
            if bias is not None:
                y = y + bias
            return y
        return F.linear(x, weight, bias)

    def linear(self, x: Tensor, w: Dict[str, Tensor], name: str) -> Tensor:
        # x W^T + b for the projection `name`, without its adapter
        weight = w.get(name + ".weight")
        if weight is not None:
            return self.matmul(x, weight, w.get(name + ".bias"), False)
        return self.matmul(x, w[name + ".weight.T"], w.get(name + ".bias"), True)

    def project(self, x: Tensor, w: Dict[str, Tensor], scalings: Dict[str, float], prefix: str, name: str,
                dropout: float, training: bool) -> Tensor:
        # x W^T + b + scaling * (dropout(x) A^T) B^T for the projection `name` (the last term where it has an adapter)
        y = self.linear(x, w, name)
        lora_a = w.get(name + ".lora_A.weight")
        if lora_a is not None:
            lora_b = w[name + ".lora_B.weight"]
            # the adapter computes in its own dtype (float32 over a bfloat16 base when training in bf16); scaling is
            # applied at the rank's width, and in float32 the sum is added by the second product
            d = torch.dropout(x, dropout, training).to(lora_a.dtype)
            a = F.linear(d, lora_a) * scalings[prefix + name]
            if y.dtype == lora_b.dtype:
                out = torch.addmm(y.reshape([-1, y.size(-1)]), a.reshape([-1, a.size(-1)]), lora_b.t())
                y = out.view(y.size())
            else:
                y = y + F.linear(a, lora_b).to(y.dtype)
        return y

    def fused(self, w: Dict[str, Tensor], name: str, parts: List[str]) -> bool:
        # whether the fused projection `name` exists and serves its parts: none of them has an adapter
        if name + ".weight" not in w and name + ".weight.T" not in w:
            return False
        for p in parts:
            if p + ".lora_A.weight" in w:
                return False
        return True

    def rotary(self, x: Tensor, cos: Tensor, signed_sin: Tensor) -> Tensor:
        # x cos + rotate_half(x) sin, with rotate_half(x) sin = [x2, x1] * [-sin, sin]
        x1, x2 = torch.chunk(x, 2, -1)
        return x * cos + torch.cat([x2, x1], -1) * signed_sin

    def attention(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, causal: bool, kv_heads: int) -> Tensor:
        # softmax(q k^T / sqrt(d) + mask) v; q [b, heads, t, d], k and v [b, kv_heads, s, d]
        b = q.size(0)
        heads = q.size(1)
        t = q.size(2)
        d = q.size(3)
        scale = d ** -0.5
        if t == 1:
            # one new token: the query heads of a key/value head as rows, softmax in float32 (eager)
            s = torch.matmul(q.reshape([b, kv_heads, -1, d]), k.transpose(2, 3)) * scale
            if mask.numel() > 0:
                s = s + mask
            p = torch.softmax(s, -1, dtype=torch.float32).to(q.dtype)
            return torch.matmul(p, v).reshape([b, heads, 1, d])
        # key/value heads repeated for their query heads: with enable_gqa, libtorch 2.7 falls back to the unfused
        # attention on the CPU, about three times slower than its flash kernel
        if kv_heads != heads:
            k = torch.repeat_interleave(k, heads // kv_heads, 1)
            v = torch.repeat_interleave(v, heads // kv_heads, 1)
        if mask.numel() > 0:
            return F.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=scale)
        return F.scaled_dot_product_attention(q, k, v, None, 0., causal, scale=scale)

    def block(self, x: Tensor, cos: Tensor, signed_sin: Tensor, mask: Tensor, causal: bool, past_k: Tensor,
              past_v: Tensor, w: Dict[str, Tensor], scalings: Dict[str, float], prefix: str, heads: int, kv_heads: int,
              d: int, eps: float, dropout: float, training: bool, last_only: bool) -> Tuple[Tensor, Tensor, Tensor]:
        # One decoder block: x += o_proj(attention(rope(q), rope(k), v)) of the normed x, then
        # x += down_proj(silu(gate_proj(n)) * up_proj(n)) with n the normed x. Returns x and the keys and values
        # with the past ones in front. With last_only, keys and values come from every position and the rest only
        # from the last one: the block returns that position's residual, all a next-token prediction needs from the
        # last block.
        b = x.size(0)
        t = x.size(1)
        h = self.rms_norm(x, w["input_layernorm.weight"], eps)
        qkv = self.fused(w, "self_attn.qkv_proj", ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"])
        qkv = qkv and not (last_only and t > 1)
        q = h
        if qkv:
            y = self.linear(h, w, "self_attn.qkv_proj")
            q = y.narrow(-1, 0, heads * d)
            k = y.narrow(-1, heads * d, kv_heads * d)
            v = y.narrow(-1, heads * d + kv_heads * d, kv_heads * d)
        else:
            k = self.project(h, w, scalings, prefix, "self_attn.k_proj", dropout, training)
            v = self.project(h, w, scalings, prefix, "self_attn.v_proj", dropout, training)
        k = self.rotary(k.reshape([b, t, kv_heads, d]).transpose(1, 2), cos, signed_sin)
        v = v.reshape([b, t, kv_heads, d]).transpose(1, 2)
        if past_k.numel() > 0:
            k = torch.cat([past_k, k], 2)
            v = torch.cat([past_v, v], 2)
        tq = t
        if last_only and t > 1:
            tq = 1
            x = x.narrow(1, t - 1, 1)
            h = h.narrow(1, t - 1, 1)
            cos = cos.narrow(2, t - 1, 1)
            signed_sin = signed_sin.narrow(2, t - 1, 1)
            if mask.numel() > 0:
                mask = mask.narrow(2, t - 1, 1)
        if not qkv:
            q = self.project(h, w, scalings, prefix, "self_attn.q_proj", dropout, training)
        q = self.rotary(q.reshape([b, tq, heads, d]).transpose(1, 2), cos, signed_sin)
        a = self.attention(q, k, v, mask, causal, kv_heads)
        a = a.transpose(1, 2).reshape([b, tq, heads * d])
        x = x + self.project(a, w, scalings, prefix, "self_attn.o_proj", dropout, training)
        h = self.rms_norm(x, w["post_attention_layernorm.weight"], eps)
        if self.fused(w, "mlp.gate_up_proj", ["mlp.gate_proj", "mlp.up_proj"]):
            y = self.linear(h, w, "mlp.gate_up_proj")
            n = y.size(-1) // 2
            m = F.silu(y.narrow(-1, 0, n)) * y.narrow(-1, n, n)
        else:
            g = self.project(h, w, scalings, prefix, "mlp.gate_proj", dropout, training)
            u = self.project(h, w, scalings, prefix, "mlp.up_proj", dropout, training)
            m = F.silu(g) * u
        x = x + self.project(m, w, scalings, prefix, "mlp.down_proj", dropout, training)
        return (x, k, v)

    @torch.jit.export
    def layers(self, x: Tensor, cos: Tensor, signed_sin: Tensor, masks: List[Tensor], causal: List[bool],
               past_k: List[Tensor], past_v: List[Tensor], first: int, end: int, last_only: bool,
               weights: List[Dict[str, Tensor]], scalings: Dict[str, float], heads: int, kv_heads: int,
               head_dim: int, eps: float, dropout: float, training: bool) -> Tensor:
        # Blocks first .. end - 1 in one call (see block), each with its mask (empty: none) and weights; scalings
        # holds every adapter's scaling by module name. Block i's keys and values are read from past_k[i] and past_v[i] (empty: none yet) and replaced
        # by the extended ones. With last_only, block end - 1 computes only the last position.
        for i in range(first, end):
            y, k, v = self.block(x, cos, signed_sin, masks[i], causal[i], past_k[i], past_v[i], weights[i],
                                 scalings, "model.layers." + str(i) + ".", heads, kv_heads, head_dim, eps, dropout, training,
                                 last_only and i == end - 1)
            past_k[i] = k
            past_v[i] = v
            x = y
        return x

    # The hooked block: the same block in steps, so that Java can read and replace what passes between them (see
    # absorb.model.Transformer). attention_heads (or attention_pattern, and pattern_values when the probabilities were
    # replaced), attention_output and mlp_output compute what block computes in one call; the residual additions
    # between them are Java's.

    def attention_inputs(self, x: Tensor, cos: Tensor, signed_sin: Tensor, past_k: List[Tensor], past_v: List[Tensor],
                         i: int, w: Dict[str, Tensor], scalings: Dict[str, float], heads: int, kv_heads: int, d: int,
                         eps: float, dropout: float, training: bool) -> Tuple[Tensor, Tensor, Tensor]:
        # block i's queries [b, heads, t, d] and keys and values [b, kv_heads, s, d] (rotary applied, the past ones in
        # front), from the normed x; the extended keys and values replace past_k[i] and past_v[i]
        b = x.size(0)
        t = x.size(1)
        prefix = "model.layers." + str(i) + "."
        h = self.rms_norm(x, w["input_layernorm.weight"], eps)
        if self.fused(w, "self_attn.qkv_proj", ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]):
            y = self.linear(h, w, "self_attn.qkv_proj")
            q = y.narrow(-1, 0, heads * d)
            k = y.narrow(-1, heads * d, kv_heads * d)
            v = y.narrow(-1, heads * d + kv_heads * d, kv_heads * d)
        else:
            q = self.project(h, w, scalings, prefix, "self_attn.q_proj", dropout, training)
            k = self.project(h, w, scalings, prefix, "self_attn.k_proj", dropout, training)
            v = self.project(h, w, scalings, prefix, "self_attn.v_proj", dropout, training)
        q = self.rotary(q.reshape([b, t, heads, d]).transpose(1, 2), cos, signed_sin)
        k = self.rotary(k.reshape([b, t, kv_heads, d]).transpose(1, 2), cos, signed_sin)
        v = v.reshape([b, t, kv_heads, d]).transpose(1, 2)
        if past_k[i].numel() > 0:
            k = torch.cat([past_k[i], k], 2)
            v = torch.cat([past_v[i], v], 2)
        past_k[i] = k
        past_v[i] = v
        return (q, k, v)

    @torch.jit.export
    def attention_heads(self, x: Tensor, cos: Tensor, signed_sin: Tensor, masks: List[Tensor], causal: List[bool],
                        past_k: List[Tensor], past_v: List[Tensor], i: int, weights: List[Dict[str, Tensor]],
                        scalings: Dict[str, float], heads: int, kv_heads: int, head_dim: int, eps: float,
                        dropout: float, training: bool) -> Tensor:
        # z of block i: each head's output before o_proj, [b, t, heads, head_dim] (TransformerLens's hook_z), with
        # the attention block uses (no probabilities made)
        q, k, v = self.attention_inputs(x, cos, signed_sin, past_k, past_v, i, weights[i], scalings, heads, kv_heads,
                                        head_dim, eps, dropout, training)
        return self.attention(q, k, v, masks[i], causal[i], kv_heads).transpose(1, 2)

    @torch.jit.export
    def attention_pattern(self, x: Tensor, cos: Tensor, signed_sin: Tensor, masks: List[Tensor], causal: List[bool],
                          past_k: List[Tensor], past_v: List[Tensor], i: int, weights: List[Dict[str, Tensor]],
                          scalings: Dict[str, float], heads: int, kv_heads: int, head_dim: int, eps: float,
                          dropout: float, training: bool, scratch: List[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        # block i's attention probabilities softmax(q k^T / sqrt(d) + mask) [b, heads, t, s], as transformers' eager
        # attention computes them (scores in the compute dtype, softmax in float32, cast back), the values
        # [b, heads, s, d] they weigh (key/value heads repeated for their query heads; see pattern_values) and z
        # [b, t, heads, d] from those probabilities (what pattern_values gives unless a hook replaces them).
        # Without gradients the probabilities are written into scratch[1], kept from the block before when its shape
        # fits (a [b, heads, t, s] tensor made anew for every block is mapped and faulted in anew, above the
        # allocator's mmap threshold, which cost more than computing it), and the rows are done a few sequences at a
        # time: each chunk's scores (scratch[0], about 1 MB, or one sequence's) stay in cache from the product through
        # the softmax to z, so that only the probabilities a reader asked for go through memory. The probabilities
        # returned are then scratch[1] itself, valid until the next block's call.
        q, k, v = self.attention_inputs(x, cos, signed_sin, past_k, past_v, i, weights[i], scalings, heads, kv_heads,
                                        head_dim, eps, dropout, training)
        if kv_heads != heads:
            k = torch.repeat_interleave(k, heads // kv_heads, 1)
            v = torch.repeat_interleave(v, heads // kv_heads, 1)
        mask = masks[i]
        t = q.size(2)
        keys = k.size(2)
        if mask.numel() == 0 and causal[i]:
            mask = torch.zeros([t, keys], dtype=q.dtype, device=q.device).masked_fill_(
                torch.ones([t, keys], dtype=torch.bool, device=q.device).triu(keys - t + 1), float("-inf"))
        if torch.is_grad_enabled() or len(scratch) != 2 or q.dtype != torch.float32:
            # the product, then the scale, then the mask, as eager attention orders them
            s = torch.matmul(q, k.transpose(2, 3)).mul_(head_dim ** -0.5)
            if mask.numel() > 0:
                s = s + mask
            p = torch.softmax(s, -1, dtype=torch.float32).to(q.dtype)
            return (p, v, torch.matmul(p.to(v.dtype), v).transpose(1, 2))
        b = q.size(0)
        shape = [b, heads, t, keys]
        chunk = max(1, min(b, (1 << 18) // max(1, heads * t * keys)))
        if scratch[1].size() != shape or scratch[1].device != q.device:
            scratch[0] = torch.empty([chunk, heads, t, keys], dtype=q.dtype, device=q.device)
            scratch[1] = torch.empty(shape, dtype=torch.float32, device=q.device)
        p = scratch[1]
        z = torch.empty([b, heads, t, v.size(3)], dtype=v.dtype, device=v.device)
        for c in range(0, b, chunk):
            n = min(chunk, b - c)
            s = torch.matmul(q.narrow(0, c, n), k.narrow(0, c, n).transpose(2, 3), out=scratch[0].narrow(0, 0, n))
            s = s.mul_(head_dim ** -0.5)
            if mask.numel() > 0:
                s = s.add_(mask.narrow(0, c, n) if mask.dim() == 4 and mask.size(0) == b and b > 1 else mask)
            pc = torch.softmax(s, -1, dtype=torch.float32, out=p.narrow(0, c, n))
            torch.matmul(pc, v.narrow(0, c, n), out=z.narrow(0, c, n))
        return (p, v, z.transpose(1, 2))

    @torch.jit.export
    def pattern_values(self, pattern: Tensor, v: Tensor) -> Tensor:
        # z [b, t, heads, d] from attention probabilities [b, heads, t, s] and values [b, heads, s, d]
        return torch.matmul(pattern.to(v.dtype), v).transpose(1, 2)

    @torch.jit.export
    def attention_output(self, z: Tensor, i: int, weights: List[Dict[str, Tensor]], scalings: Dict[str, float],
                         dropout: float, training: bool) -> Tensor:
        # block i's attention output o_proj(z) [b, t, hidden], the heads of z [b, t, heads, d] side by side
        a = z.reshape([z.size(0), z.size(1), z.size(2) * z.size(3)])
        return self.project(a, weights[i], scalings, "model.layers." + str(i) + ".", "self_attn.o_proj", dropout,
                            training)

    @torch.jit.export
    def mlp_output(self, x: Tensor, i: int, weights: List[Dict[str, Tensor]], scalings: Dict[str, float], eps: float,
                   dropout: float, training: bool) -> Tensor:
        # block i's MLP output down_proj(silu(gate_proj(n)) * up_proj(n)) with n = post_attention_layernorm(x)
        w = weights[i]
        prefix = "model.layers." + str(i) + "."
        h = self.rms_norm(x, w["post_attention_layernorm.weight"], eps)
        if self.fused(w, "mlp.gate_up_proj", ["mlp.gate_proj", "mlp.up_proj"]):
            y = self.linear(h, w, "mlp.gate_up_proj")
            n = y.size(-1) // 2
            m = F.silu(y.narrow(-1, 0, n)) * y.narrow(-1, n, n)
        else:
            g = self.project(h, w, scalings, prefix, "mlp.gate_proj", dropout, training)
            u = self.project(h, w, scalings, prefix, "mlp.up_proj", dropout, training)
            m = F.silu(g) * u
        return self.project(m, w, scalings, prefix, "mlp.down_proj", dropout, training)

    @torch.jit.export
    def replace_part(self, x: Tensor, target: Tensor, selection: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        # x with the part where selection is true (a bool tensor broadcast to x; empty: all of it) set to target
        # (broadcast to x; empty: zero); with ||new - x||^2 and ||x||^2 over that part, in float32
        t = torch.zeros_like(x)
        if target.numel() > 0:
            t = target.to(x.dtype)
        sel = torch.ones([1], dtype=torch.bool, device=x.device)
        if selection.numel() > 0:
            sel = selection
        new = torch.where(sel, t, x)
        part = torch.where(sel, x, torch.zeros_like(x)).to(torch.float32)
        change = (new - x).to(torch.float32)
        return (new, change.pow(2).sum(), part.pow(2).sum())

    @torch.jit.export
    def last_logits(self, x: Tensor, norm: Tensor, eps: float, head: Tensor, transposed: bool) -> Tuple[Tensor, Tensor]:
        # the final norm of the last position of x [b, t, hidden], and its logits in float32
        h = self.rms_norm(x.narrow(1, x.size(1) - 1, 1), norm, eps)
        logits = self.matmul(h, head, None, transposed).to(torch.float32)
        return (h, logits)

    @torch.jit.export
    def embedding(self, ids: Tensor, table: Tensor, transposed: bool) -> Tensor:
        # the embeddings of ids ([vocab, hidden] table, or [hidden, vocab] when transposed)
        if transposed:
            return torch.embedding(table.t(), ids)
        return torch.embedding(table, ids)

    @torch.jit.export
    def repeat_rows(self, xs: List[Tensor], n: int) -> List[Tensor]:
        # each tensor of a one-row batch (a KV cache's keys or values per layer) repeated into n rows; empty ones stay
        out: List[Tensor] = []
        for x in xs:
            if x.numel() == 0:
                out.append(x)
            else:
                out.append(x.expand([n] + x.size()[1:]).contiguous())
        return out

    @torch.jit.export
    def sample_next(self, logits: Tensor, temperature: float, top_k: int, top_p: float, uniforms: Tensor) -> Tensor:
        # The next token of every row of logits [b, vocab] or [b, 1, vocab] (float32), with transformers' processors
        # in their order: greedy (the first maximum) at temperature 0; else logits / temperature, top-k (keep the k
        # largest and those tied with the k-th), top-p (in ascending order, drop the tokens whose cumulative
        # probability is at most 1 - p, always keeping the most likely), then a draw by inverse transform with u [b]
        # (float64) from each row's own generator. Without top-p the draw walks the vocabulary in its order; with it,
        # the order the one sort top-p needs leaves (same distribution, no second pass over the vocabulary); the two
        # shortcuts below find the same kept tokens without the sort.
        logits = logits.reshape([logits.size(0), logits.size(-1)])
        if temperature <= 0.:
            return torch.argmax(logits, -1)
        x = logits / temperature
        if top_k > 0 and top_k < x.size(-1):
            kth = torch.topk(x, top_k, -1)[0].narrow(-1, top_k - 1, 1)
            x = x.masked_fill(x < kth, float("-inf"))
        if top_p < 1. and x.size(-1) > 256:
            # The nucleus is nearly always a few hundred tokens at most: take the 256 most likely of each row
            # (torch.topk, an order of magnitude cheaper than sorting the vocabulary) and, when every row's 256 hold
            # at least top_p of its probability, apply the same rule there. In descending order a token's ascending
            # cumulative probability is 1 - (the mass before it), so "dropped when at most 1 - p" reads "kept when the
            # mass before it is below p"; a token outside the 256 has at least their mass before it, so it is dropped.
            # The draw walks the kept tokens in ascending order, as below.
            lse = torch.logsumexp(x, -1, keepdim=True)
            top, top_index = torch.topk(x, 256, -1)
            p = torch.exp(top - lse)
            if bool((p.sum(-1) >= top_p).all()):
                keep = (p.cumsum(-1) - p) < top_p
                keep[:, 0] = True
                p = p.masked_fill(keep.logical_not(), 0.).flip([-1])
                c = p.to(torch.float64).cumsum(-1)
                target = uniforms.unsqueeze(1) * c.narrow(-1, c.size(-1) - 1, 1)
                picked = torch.searchsorted(c, target, right=True).clamp(max=c.size(-1) - 1)
                return top_index.flip([-1]).gather(-1, picked).squeeze(1)
            # A flat row (high temperature, an untrained model) keeps most of the vocabulary, and what top-p drops is
            # its least likely tokens up to 1 - p of the mass: take the k least likely in ascending order (the start of
            # the full sort's order, so the same cumulative sums), and when every row's reach past 1 - p, drop the
            # tokens whose sum is at most 1 - p there (some token beyond them is kept). The draw walks the vocabulary.
            # Otherwise (neither end holds the boundary) the whole vocabulary is sorted.
            k = 2 * int(x.size(-1) * (1. - top_p)) + 258
            if k < x.size(-1) // 2:
                low, low_index = torch.topk(x, k, -1, largest=False)
                q = torch.exp(low - lse)
                c = q.cumsum(-1)
                if bool((c.narrow(-1, k - 1, 1) > 1. - top_p).all()):
                    probs = torch.exp(x - lse).scatter(-1, low_index, q.masked_fill(c <= 1. - top_p, 0.))
                    c = probs.to(torch.float64).cumsum(-1)
                    target = uniforms.unsqueeze(1) * c.narrow(-1, c.size(-1) - 1, 1)
                    picked = torch.searchsorted(c, target, right=True).squeeze(1)
                    return picked.clamp(max=x.size(-1) - 1)
        if top_p < 1.:
            ordered, index = torch.sort(x, -1)
            p = torch.softmax(ordered, -1)
            remove = p.cumsum(-1) <= 1. - top_p
            remove[:, -1] = False
            c = p.masked_fill(remove, 0.).to(torch.float64).cumsum(-1)
            target = uniforms.unsqueeze(1) * c.narrow(-1, c.size(-1) - 1, 1)
            picked = torch.searchsorted(c, target, right=True).clamp(max=x.size(-1) - 1)
            return index.gather(-1, picked).squeeze(1)
        c = torch.softmax(x.to(torch.float64), -1).cumsum(-1)
        target = uniforms.unsqueeze(1) * c.narrow(-1, c.size(-1) - 1, 1)
        picked = torch.searchsorted(c, target, right=True).squeeze(1)
        return picked.clamp(max=x.size(-1) - 1)

    # Continuous batching (absorb.model.StepDecoder): rows join a running batch and leave it between decoding steps.

    @torch.jit.export
    def cache_rows(self, xs: List[Tensor], index: Tensor, front: int) -> List[Tensor]:
        # rows `index` of each layer's keys or values [b, kv_heads, positions, head_dim], with `front` zero positions
        # (masked padding) put before the first, or with -front positions dropped from the front when negative; empty
        # tensors (a layer not run yet) stay
        out: List[Tensor] = []
        for x in xs:
            if x.numel() == 0:
                out.append(x)
            else:
                y = x.index_select(0, index)
                if front > 0:
                    y = torch.cat([y.new_zeros([y.size(0), y.size(1), front, y.size(3)]), y], 2)
                elif front < 0:
                    y = y.narrow(2, -front, y.size(2) + front)
                out.append(y)
        return out

    @torch.jit.export
    def cache_cat(self, a: List[Tensor], b: List[Tensor]) -> List[Tensor]:
        # each layer's keys or values of two batches with as many positions, the rows of b after those of a
        out: List[Tensor] = []
        for i in range(len(a)):
            out.append(torch.cat([a[i], b[i]], 0))
        return out

    @torch.jit.export
    def sample_rows(self, logits: Tensor, index: Tensor, temperature: float, top_k: int, top_p: float,
                    uniforms: Tensor) -> Tensor:
        # sample_next on the rows `index` of logits (rows of one batch that sample with other settings)
        return self.sample_next(logits.index_select(0, index), temperature, top_k, top_p, uniforms)

    @torch.jit.export
    def token_logprobs(self, logits: Tensor, chosen: Tensor, k: int) -> Tuple[Tensor, Tensor, Tensor]:
        # log_softmax of logits [n, vocab] or [n, 1, vocab] in float32: the log-probability of chosen[i] in row i, and
        # the k most likely tokens' log-probabilities and ids (none for k = 0)
        x = torch.log_softmax(logits.reshape([logits.size(0), logits.size(-1)]).to(torch.float32), -1)
        picked = x.gather(1, chosen.reshape([-1, 1])).squeeze(1)
        if k > 0:
            top = torch.topk(x, k, -1)
            return (picked, top[0], top[1])
        return (picked, x.new_zeros([x.size(0), 0]), chosen.new_zeros([x.size(0), 0]))
