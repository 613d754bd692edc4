package absorb.model;

import absorb.AbsorbException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The decoder block and the few operations DJL lacks, written in TorchScript and run by the same libtorch that
 * runs everything else. Through DJL every tensor operation is a separate native call costing about 10 µs, which
 * dominates decoding (one token at a time); the TorchScript interpreter runs a whole block in one call at about
 * 1.5 µs per operation. The program is packed into a module archive at first use: nothing is downloaded or
 * precompiled, and autograd runs through it as through any libtorch code.
 */
public final class TorchKernels {

    /**
     * The program. Absent optional tensors are passed as empty tensors (DJL cannot pass None).
     * {@code torch.to(x, 15)} is bfloat16, 6 float32 (c10::ScalarType codes).
     */
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
              def empty_like(self: __torch__.Kernels,
                like: Tensor,
                rows: int,
                cols: int) -> Tensor:
                return torch.empty([rows, cols], dtype=ops.prim.dtype(like))
              def copy_columns(self: __torch__.Kernels,
                dst: Tensor,
                src: Tensor,
                start: int) -> int:
                # dst[:, start : start + n] = src^T, for src [n, rows of dst]
                torch.copy_(torch.narrow(dst, 1, start, src.size(0)), torch.t(src))
                return start
              def fuse(self: __torch__.Kernels,
                parts: List[Tensor],
                dim: int) -> List[Tensor]:
                # one tensor holding parts side by side along dim, then each part as a view of it
                whole = torch.cat(parts, dim)
                out: List[Tensor] = [whole]
                start = 0
                for p in parts:
                  out.append(torch.narrow(whole, dim, start, p.size(dim)))
                  start = torch.add(start, p.size(dim))
                return out
              def add_into(self: __torch__.Kernels,
                dst: Tensor,
                delta: Tensor) -> int:
                # dst += delta in place (computed in the wider dtype, rounded to dst's), views included
                torch.add_(dst, delta)
                return 0
              def own_copy(self: __torch__.Kernels,
                x: Tensor) -> Tensor:
                # x in memory of its own, row-major (a view becomes a tensor)
                return torch.clone(x, memory_format=0)
              def rms_norm(self: __torch__.Kernels,
                x: Tensor,
                weight: Tensor,
                eps: float) -> Tensor:
                # w * (x / sqrt(mean(x^2) + eps)), in float32, cast back before the weight (as transformers)
                h = torch.to(x, 6)
                h = torch.mul(h, torch.rsqrt(torch.add(torch.mean(torch.pow(h, 2), [-1], True), eps)))
                return torch.mul(weight, torch.to(h, ops.prim.dtype(x)))
              def product(self: __torch__.Kernels,
                x: Tensor,
                weight: Tensor,
                bias: Tensor,
                transposed: bool) -> Tensor:
                # x W^T + b (W stored [in, out] when transposed; bias empty when absent). One row against a large
                # weight is a matrix-vector product, which libtorch runs on one thread whatever its thread count and
                # which is bound by memory bandwidth: as two half products in one batched product it runs on two
                # threads (about 1.4 times the bandwidth on the development machine).
                n = weight.size(0)
                if transposed:
                  n = weight.size(1)
                k = x.size(-1)
                # (on the CPU, in float32 only: libtorch's batched bfloat16 product there is much slower than its plain
                # one, and a GPU runs a matrix-vector product on all its cores anyway)
                split = torch.eq(torch.numel(x), k) and torch.ge(torch.numel(weight), 131072) and not weight.is_cuda
                if split and torch.eq(torch.remainder(n, 2), 0) and torch.eq(ops.prim.dtype(weight), 6):
                  h = torch.floordiv(n, 2)
                  # halves[b] = the columns b*h .. b*h+h-1 of W^T, as views of the weight whatever its strides
                  s0 = weight.stride(0)
                  s1 = weight.stride(1)
                  if transposed:
                    halves = torch.as_strided(weight, [2, k, h], [torch.mul(h, s1), s0, s1])
                  else:
                    halves = torch.as_strided(weight, [2, k, h], [torch.mul(h, s0), s1, s0])
                  y = torch.bmm(torch.expand(torch.reshape(x, [1, 1, k]), [2, 1, k]), halves)
                  y = torch.reshape(torch.transpose(y, 0, 1), torch.add(torch.slice(x.size(), 0, -1, 1), [n]))
                  if torch.gt(torch.numel(bias), 0):
                    y = torch.add(y, bias)
                  return y
                if transposed:
                  y = torch.matmul(x, weight)
                  if torch.gt(torch.numel(bias), 0):
                    y = torch.add(y, bias)
                  return y
                if torch.gt(torch.numel(bias), 0):
                  return torch.linear(x, weight, bias)
                return torch.linear(x, weight)
              def project(self: __torch__.Kernels,
                x: Tensor,
                weight: Tensor,
                bias: Tensor,
                transposed: bool,
                lora_a: Tensor,
                lora_b: Tensor,
                scaling: float,
                dropout: float,
                training: bool) -> Tensor:
                # x W^T + b (W stored [in, out] when transposed), plus scaling * (dropout(x) A^T) B^T
                y = self.product(x, weight, bias, transposed)
                if torch.gt(torch.numel(lora_a), 0):
                  # the adapter computes in its own dtype (float32 over a bfloat16 base when training in bf16)
                  # scaling is applied at the rank's width, and in float32 the sum is added by the second product
                  d = torch.to(torch.dropout(x, dropout, training), ops.prim.dtype(lora_a))
                  a = torch.mul(torch.linear(d, lora_a), scaling)
                  if torch.eq(ops.prim.dtype(y), ops.prim.dtype(lora_b)):
                    out = torch.addmm(torch.reshape(y, [-1, y.size(-1)]), torch.reshape(a, [-1, a.size(-1)]),
                      torch.t(lora_b))
                    y = torch.view(out, y.size())
                  else:
                    y = torch.add(y, torch.to(torch.linear(a, lora_b), ops.prim.dtype(y)))
                return y
              def rotary(self: __torch__.Kernels,
                x: Tensor,
                cos: Tensor,
                signed_sin: Tensor) -> Tensor:
                # x cos + rotate_half(x) sin, with rotate_half(x) sin = [x2, x1] * [-sin, sin]
                x1, x2 = torch.chunk(x, 2, -1)
                return torch.add(torch.mul(x, cos), torch.mul(torch.cat([x2, x1], -1), signed_sin))
              def attention(self: __torch__.Kernels,
                q: Tensor,
                k: Tensor,
                v: Tensor,
                mask: Tensor,
                causal: bool,
                kv_heads: int) -> Tensor:
                # softmax(q k^T / sqrt(d) + mask) v; q [b, heads, t, d], k and v [b, kv_heads, s, d]
                b = q.size(0)
                heads = q.size(1)
                t = q.size(2)
                d = q.size(3)
                scale = torch.pow(d, -0.5)
                if torch.eq(t, 1):
                  # one new token: the query heads of a key/value head as rows, softmax in float32 (eager)
                  s = torch.mul(torch.matmul(torch.reshape(q, [b, kv_heads, -1, d]), torch.transpose(k, 2, 3)), scale)
                  if torch.gt(torch.numel(mask), 0):
                    s = torch.add(s, mask)
                  p = torch.to(torch.softmax(s, -1, 6), ops.prim.dtype(q))
                  return torch.reshape(torch.matmul(p, v), [b, heads, 1, d])
                # key/value heads repeated for their query heads: with enable_gqa, libtorch 2.7 falls back to the
                # unfused attention on the CPU, about three times slower than its flash kernel
                if torch.ne(kv_heads, heads):
                  k = torch.repeat_interleave(k, torch.floordiv(heads, kv_heads), 1)
                  v = torch.repeat_interleave(v, torch.floordiv(heads, kv_heads), 1)
                if torch.gt(torch.numel(mask), 0):
                  return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=scale)
                return torch.scaled_dot_product_attention(q, k, v, None, 0., causal, scale=scale)
              def block(self: __torch__.Kernels,
                x: Tensor,
                cos: Tensor,
                signed_sin: Tensor,
                mask: Tensor,
                causal: bool,
                past_k: Tensor,
                past_v: Tensor,
                w: List[Tensor],
                transposed: List[bool],
                lora: List[Tensor],
                scaling: List[float],
                shape: List[int],
                eps: float,
                dropout: float,
                training: bool,
                last_only: bool) -> Tuple[Tensor, Tensor, Tensor]:
                # One decoder block. w: input_layernorm, then (weight, bias) of q, k, v, o, gate, up, down with
                # post_attention_layernorm after o, then the fused q/k/v and gate/up (weight, bias) (empty when the
                # model keeps them apart, see Transformer.fuse); transposed: the layout of the seven
                # projections, then of the two fused weights; lora: (A, B) per projection; shape: heads, kv_heads,
                # head_dim. The fused weights serve projections without adapters: one product instead of three or two.
                # With last_only, keys and values come from every position and the rest only from the last one: the
                # block returns that position's residual, all a next-token prediction needs from the last block.
                b = x.size(0)
                t = x.size(1)
                heads = shape[0]
                kv_heads = shape[1]
                d = shape[2]
                h = self.rms_norm(x, w[0], eps)
                qkv = torch.gt(torch.numel(w[16]), 0) and torch.eq(torch.numel(lora[0]), 0)
                qkv = qkv and torch.eq(torch.numel(lora[2]), 0) and torch.eq(torch.numel(lora[4]), 0)
                qkv = qkv and not (last_only and torch.gt(t, 1))
                q = h
                if qkv:
                  y = self.product(h, w[16], w[17], transposed[7])
                  q = torch.narrow(y, -1, 0, heads * d)
                  k = torch.narrow(y, -1, heads * d, kv_heads * d)
                  v = torch.narrow(y, -1, heads * d + kv_heads * d, kv_heads * d)
                else:
                  k = self.project(h, w[3], w[4], transposed[1], lora[2], lora[3], scaling[1], dropout, training)
                  v = self.project(h, w[5], w[6], transposed[2], lora[4], lora[5], scaling[2], dropout, training)
                k = self.rotary(torch.transpose(torch.reshape(k, [b, t, kv_heads, d]), 1, 2), cos, signed_sin)
                v = torch.transpose(torch.reshape(v, [b, t, kv_heads, d]), 1, 2)
                if torch.gt(torch.numel(past_k), 0):
                  k = torch.cat([past_k, k], 2)
                  v = torch.cat([past_v, v], 2)
                tq = t
                if last_only and torch.gt(t, 1):
                  tq = 1
                  x = torch.slice(x, 1, torch.sub(t, 1), t, 1)
                  h = torch.slice(h, 1, torch.sub(t, 1), t, 1)
                  cos = torch.slice(cos, 2, torch.sub(t, 1), t, 1)
                  signed_sin = torch.slice(signed_sin, 2, torch.sub(t, 1), t, 1)
                  if torch.gt(torch.numel(mask), 0):
                    mask = torch.slice(mask, 2, torch.sub(t, 1), t, 1)
                if not qkv:
                  q = self.project(h, w[1], w[2], transposed[0], lora[0], lora[1], scaling[0], dropout, training)
                q = self.rotary(torch.transpose(torch.reshape(q, [b, tq, heads, d]), 1, 2), cos, signed_sin)
                a = self.attention(q, k, v, mask, causal, kv_heads)
                a = torch.reshape(torch.transpose(a, 1, 2), [b, tq, heads * d])
                x = torch.add(x, self.project(a, w[7], w[8], transposed[3], lora[6], lora[7], scaling[3], dropout, training))
                h = self.rms_norm(x, w[9], eps)
                if torch.gt(torch.numel(w[18]), 0) and torch.eq(torch.numel(lora[8]), 0) and torch.eq(torch.numel(lora[10]), 0):
                  y = self.product(h, w[18], w[19], transposed[8])
                  n = torch.floordiv(y.size(-1), 2)
                  m = torch.mul(torch.silu(torch.narrow(y, -1, 0, n)), torch.narrow(y, -1, n, n))
                else:
                  g = self.project(h, w[10], w[11], transposed[4], lora[8], lora[9], scaling[4], dropout, training)
                  u = self.project(h, w[12], w[13], transposed[5], lora[10], lora[11], scaling[5], dropout, training)
                  m = torch.mul(torch.silu(g), u)
                x = torch.add(x, self.project(m, w[14], w[15], transposed[6], lora[12], lora[13], scaling[6], dropout, training))
                return (x, k, v)
              def layers(self: __torch__.Kernels,
                x: Tensor,
                cos: Tensor,
                signed_sin: Tensor,
                masks: List[Tensor],
                causal: List[bool],
                past_k: List[Tensor],
                past_v: List[Tensor],
                first: int,
                end: int,
                last_only: bool,
                w: List[Tensor],
                transposed: List[bool],
                lora: List[Tensor],
                scaling: List[float],
                shape: List[int],
                eps: float,
                dropout: float,
                training: bool) -> Tensor:
                # Blocks first .. end - 1 in one call (see block): the lists hold every layer's entries one after
                # the other (20 weights, 9 flags, 14 adapter tensors, 7 scalings, one mask and flag per layer).
                # Layer i's keys and values are read from past_k[i] and past_v[i] (empty: none yet) and replaced by
                # the extended ones. With last_only, the block end - 1 computes only the last position.
                for i in range(first, end):
                  y, k, v = self.block(x, cos, signed_sin, masks[i], causal[i], past_k[i], past_v[i],
                    torch.slice(w, torch.mul(i, 20), torch.mul(torch.add(i, 1), 20), 1),
                    torch.slice(transposed, torch.mul(i, 9), torch.mul(torch.add(i, 1), 9), 1),
                    torch.slice(lora, torch.mul(i, 14), torch.mul(torch.add(i, 1), 14), 1),
                    torch.slice(scaling, torch.mul(i, 7), torch.mul(torch.add(i, 1), 7), 1),
                    shape, eps, dropout, training, last_only and torch.eq(i, torch.sub(end, 1)))
                  past_k[i] = k
                  past_v[i] = v
                  x = y
                return x
              def last_logits(self: __torch__.Kernels,
                x: Tensor,
                norm: Tensor,
                eps: float,
                head: Tensor,
                transposed: bool) -> Tuple[Tensor, Tensor]:
                # the final norm of the last position of x [b, t, hidden], and its logits in float32
                h = self.rms_norm(torch.slice(x, 1, torch.sub(x.size(1), 1), x.size(1), 1), norm, eps)
                logits = torch.to(self.product(h, head, torch.empty([0], dtype=ops.prim.dtype(head)), transposed), 6)
                return (h, logits)
              def select_rows(self: __torch__.Kernels,
                hidden: Tensor,
                rows: Tensor) -> Tensor:
                # the flattened positions rows of hidden [..., width], as [n, width]
                return torch.index_select(torch.reshape(hidden, [-1, hidden.size(-1)]), 0, rows)
              def head_logits(self: __torch__.Kernels,
                hd: Tensor,
                head: Tensor,
                transposed: bool,
                work: Tensor) -> Tensor:
                # lm_head(hd) in float32, for rows hd [n, width]; written into work (a flat float32 buffer) when the
                # head is float32 and work is large enough, else into memory of its own
                n = hd.size(0)
                vocab = head.size(0)
                if transposed:
                  vocab = head.size(1)
                if torch.eq(ops.prim.dtype(head), 6) and torch.ge(torch.numel(work), torch.mul(n, vocab)):
                  logits = torch.view(torch.narrow(work, 0, 0, torch.mul(n, vocab)), [n, vocab])
                  if transposed:
                    torch.mm(hd, head, out=logits)
                  else:
                    torch.mm(hd, torch.t(head), out=logits)
                  return logits
                if transposed:
                  return torch.to(torch.matmul(hd, head), 6)
                return torch.to(torch.linear(hd, head), 6)
              def head_gradients(self: __torch__.Kernels,
                hd: Tensor,
                labels: Tensor,
                head: Tensor,
                transposed: bool,
                scale: float,
                weight_grad: bool,
                work: Tensor,
                acc: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
                # The cross-entropy of lm_head(hd) for the rows hd [n, width] against labels, and its gradients
                # written out rather than left to autograd: d/dlogits = softmax - onehot takes one fused softmax over
                # the logits, in place, where autograd's log_softmax and nll_loss backward take three passes and a
                # zero fill. The logits live in work when it is large enough (see head_logits): a buffer reused from
                # step to step costs no fresh pages. Runs without autograd. Returns the summed loss (float32),
                # scale * dL/dhd and, with weight_grad, scale * dL/dW in W's stored layout; when W already has a
                # gradient (acc; empty when none), dL/dW is added to it here (one product into it, no tensor of its
                # own) and the third result is empty, as it is without weight_grad.
                logits = self.head_logits(hd, head, transposed, work)
                at = torch.unsqueeze(labels, 1)
                g = torch.softmax(logits, -1, out=logits)
                picked = torch.gather(g, 1, at)
                if torch.gt(torch.min(picked), 0.):
                  loss = torch.neg(torch.sum(torch.log(picked)))
                else:
                  # a label's probability underflowed: the loss from the log-sum-exp stays finite (the logits are
                  # computed again, since the softmax replaced them; this happens only with extreme logits)
                  z = self.head_logits(hd, head, transposed, torch.empty([0], dtype=6))
                  loss = torch.sum(torch.sub(torch.logsumexp(z, [-1], True), torch.gather(z, 1, at)))
                g.scatter_add_(1, at, torch.full([at.size(0), 1], -1., dtype=6))
                g = torch.to(g, ops.prim.dtype(head))
                if transposed:
                  gh = torch.mul(torch.matmul(g, torch.t(head)), scale)
                else:
                  gh = torch.mul(torch.matmul(g, head), scale)
                gw = torch.empty([0], dtype=ops.prim.dtype(head))
                if weight_grad:
                  if torch.eq(torch.numel(acc), 0):
                    hs = torch.mul(hd, scale)
                    if transposed:
                      gw = torch.matmul(torch.t(hs), g)
                    else:
                      gw = torch.matmul(torch.t(g), hs)
                  else:
                    if transposed:
                      acc.addmm_(torch.t(hd), g, beta=1., alpha=scale)
                    else:
                      acc.addmm_(torch.t(g), hd, beta=1., alpha=scale)
                return (loss, gh, gw)
              def head_backward(self: __torch__.Kernels,
                h: Tensor,
                gh: Tensor,
                head: Tensor,
                gw: Tensor) -> int:
                # Backpropagates head_gradients' results: gh into the rows h (and from there through the model), gw
                # (when given) into the head weight's gradient
                if torch.gt(torch.numel(gw), 0):
                  torch.autograd.backward([h, head], annotate(List[Optional[Tensor]], [gh, gw]))
                else:
                  torch.autograd.backward([h], annotate(List[Optional[Tensor]], [gh]))
                return 0
              def embedding(self: __torch__.Kernels,
                ids: Tensor,
                table: Tensor,
                transposed: bool) -> Tensor:
                # the embeddings of ids ([vocab, hidden] table, or [hidden, vocab] when transposed)
                if transposed:
                  return torch.embedding(torch.t(table), ids)
                return torch.embedding(table, ids)
              def embedding_rows(self: __torch__.Kernels,
                ids: Tensor,
                table: Tensor,
                transposed: bool) -> Tensor:
                # the same, run outside autograd
                return self.embedding(ids, table, transposed)
              def add_embedding_grads(self: __torch__.Kernels,
                table: Tensor,
                ids: Tensor,
                rows_grad: Tensor,
                transposed: bool) -> int:
                # table.grad[id] += the gradient of that id's embedding row, for every token
                g = table.grad
                if g is not None:
                  flat = torch.reshape(rows_grad, [-1, rows_grad.size(-1)])
                  if transposed:
                    g.index_add_(1, torch.reshape(ids, [-1]), torch.t(flat))
                  else:
                    g.index_add_(0, torch.reshape(ids, [-1]), flat)
                return 0
              def gradients(self: __torch__.Kernels,
                params: List[Tensor]) -> List[Tensor]:
                # each parameter's gradient, zeros where it has none
                grads: List[Tensor] = []
                for p in params:
                  g = p.grad
                  if g is None:
                    grads.append(torch.zeros_like(p))
                  else:
                    grads.append(g)
                return grads
              def adamw_step(self: __torch__.Kernels,
                params: List[Tensor],
                exp_avg: List[Tensor],
                exp_avg_sq: List[Tensor],
                plain_params: List[Tensor],
                plain_exp_avg: List[Tensor],
                plain_exp_avg_sq: List[Tensor],
                weight_decay: float,
                step: int,
                lr: float,
                beta1: float,
                beta2: float,
                eps: float,
                max_norm: float) -> Tensor:
                # clip_grad_norm_ over all gradients (total = ||(||g_i||_2)_i||_2, g *= min(1, max_norm / (total +
                # 1e-6))), then AdamW as torch.optim.AdamW, with weight_decay for params and none for plain_params,
                # then the gradients are zeroed for the next step. The update is libtorch's fused AdamW: one pass
                # over parameter, gradient and moments per tensor (the lists it updates must be arguments, not lists
                # made here, or TorchScript drops the call as having no visible effect).
                grads = self.gradients(params)
                plain_grads = self.gradients(plain_params)
                every = torch.add(grads, plain_grads)
                norms: List[Tensor] = []
                for g in every:
                  norms.append(torch.linalg_vector_norm(g, 2.))
                total = torch.linalg_vector_norm(torch.stack(norms), 2.)
                if max_norm > 0.:
                  coef = torch.clamp(torch.mul(torch.reciprocal(torch.add(total, 1e-6)), max_norm), None, 1.)
                  for g in every:
                    g.mul_(coef)
                count = torch.full([], step, dtype=6)
                steps: List[Tensor] = []
                for p in params:
                  steps.append(count)
                plain_steps: List[Tensor] = []
                for p in plain_params:
                  plain_steps.append(count)
                if torch.gt(len(params), 0):
                  torch._fused_adamw_(params, grads, exp_avg, exp_avg_sq, annotate(List[Tensor], []), steps, lr=lr,
                    beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
                if torch.gt(len(plain_params), 0):
                  torch._fused_adamw_(plain_params, plain_grads, plain_exp_avg, plain_exp_avg_sq,
                    annotate(List[Tensor], []), plain_steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=0., eps=eps,
                    amsgrad=False, maximize=False)
                for g in every:
                  g.zero_()
                return total
            """;

    private static PtSymbolBlock module;

    /**
     * DJL's public way to run a TorchScript method disables autograd; training needs it on. The native call it wraps
     * takes a flag for that, so absorb calls it directly (by reflection: DJL keeps it package-private).
     */
    private static final Method RUN_METHOD;
    private static final Object LIBRARY;
    private static final Constructor<IValue> IVALUE;

    static {
        try {
            Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field f = lib.getDeclaredField("LIB");
            f.setAccessible(true);
            LIBRARY = f.get(null);
            RUN_METHOD = lib.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                    boolean.class, boolean.class);
            RUN_METHOD.setAccessible(true);
            IVALUE = IValue.class.getDeclaredConstructor(long.class);
            IVALUE.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TorchKernels() {}

    static synchronized PtSymbolBlock module() {
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

    /**
     * Kernels whose results can become weights: they run outside inference mode, whose tensors can never enter
     * autograd later (weights cast or laid out at load time are trained against, as in LoRA over a bfloat16 base).
     * Every other kernel runs in inference mode when gradients are off, which is faster.
     */
    private static final java.util.Set<String> MAKES_WEIGHTS =
            java.util.Set.of("to_bfloat16", "to_float32", "empty_like", "copy_columns", "fuse", "own_copy", "add_into");

    /**
     * Kernels that compute gradients by hand: they run with autograd off (their results are constants to it), but
     * outside inference mode, since their results then enter autograd.
     */
    private static final java.util.Set<String> WITHOUT_AUTOGRAD =
            java.util.Set.of("head_gradients", "embedding_rows", "add_embedding_grads");

    /**
     * Runs a kernel. Arguments are tensors, prebuilt {@link IValue}s (kept open: the caller owns them), booleans,
     * integers or doubles. Returns the IValue result; tensors come out with {@link #tensor} or {@link #tuple}.
     */
    public static IValue run(String method, Object... args) {
        IValue[] in = new IValue[args.length];
        boolean[] owned = new boolean[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                owned[i] = !(a instanceof IValue);
                if (a instanceof IValue v) in[i] = v;
                else if (a instanceof PtNDArray t) in[i] = IValue.from(t);
                else if (a instanceof Boolean b) in[i] = IValue.from(b);
                else if (a instanceof Integer n) in[i] = IValue.from(n.longValue());
                else in[i] = IValue.from(((Number) a).doubleValue());
            }
            if (!JniUtils.isGradMode() && !MAKES_WEIGHTS.contains(method)) {
                return IValueUtils.runMethod(module(), method, in);
            }
            long[] handles = new long[in.length];
            for (int i = 0; i < in.length; i++) handles[i] = in[i].getHandle();
            boolean gradMode = JniUtils.isGradMode(), off = gradMode && WITHOUT_AUTOGRAD.contains(method);
            if (off) JniUtils.setGradMode(false);
            try {
                long out = (long) RUN_METHOD.invoke(LIBRARY, module().getHandle(), method, handles, true, false);
                return IVALUE.newInstance(out);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            } finally {
                if (off) JniUtils.setGradMode(true);
            }
        } finally {
            for (int i = 0; i < in.length; i++) if (owned[i] && in[i] != null) in[i].close();
        }
    }

    /** The tensors of a tuple result, in {@code manager}; closes the result. */
    static NDArray[] tuple(IValue result, NDManager manager) {
        try (result) {
            IValue[] parts = result.toIValueTuple();
            NDArray[] out = new NDArray[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = parts[i].toTensor((PtNDManager) manager);
                parts[i].close();
            }
            return out;
        }
    }

    /** The tensor result, in {@code manager}; closes the result. */
    static NDArray tensor(IValue result, NDManager manager) {
        try (result) {
            return result.toTensor((PtNDManager) manager);
        }
    }

    /** x as bfloat16 (DJL reports such tensors as dtype unknown). */
    public static NDArray toBfloat16(NDArray x) {
        return tensor(run("to_bfloat16", x), x.getManager());
    }

    public static NDArray toFloat32(NDArray x) {
        return tensor(run("to_float32", x), x.getManager());
    }

    /** An uninitialised [rows, cols] tensor of {@code like}'s dtype, in {@code like}'s manager. */
    static NDArray emptyLike(NDArray like, int rows, int cols) {
        return tensor(run("empty_like", like, rows, cols), like.getManager());
    }

    /** Copies src^T ([n, r] into [r, n]) into columns {@code start} to {@code start + n} of {@code dst}. */
    static void copyColumns(NDArray dst, NDArray src, int start) {
        run("copy_columns", dst, src, start).close();
    }

    /** {@code dst += delta} in place (a weight, or a view of one). */
    static void addInto(NDArray dst, NDArray delta) {
        run("add_into", dst, delta).close();
    }

    /** {@code x} in memory of its own, row-major, in {@code x}'s manager (made outside inference mode). */
    static NDArray ownCopy(NDArray x) {
        return tensor(run("own_copy", x), x.getManager());
    }

    /** x W^T + b for W stored as {@code weight} ([in, out] when transposed); {@code bias} empty when absent. */
    static NDArray product(NDArray x, NDArray weight, NDArray bias, boolean transposed) {
        return tensor(run("product", x, weight, bias, transposed), x.getManager());
    }

    /** RMSNorm as transformers computes it (float32 inside, cast back, then the weight). */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        return tensor(run("rms_norm", x, weight, eps), x.getManager());
    }

    /**
     * One AdamW update with clipping (see the kernel): {@code decayed} and {@code plain} are the lists of parameters,
     * first moments and second moments with and without weight decay. Returns the gradient norm before clipping.
     */
    public static NDArray adamwStep(NDManager scope, IValue[] decayed, IValue[] plain, double weightDecay, int step,
            double lr, double beta1, double beta2, double eps, double maxNorm) {
        return tensor(run("adamw_step", decayed[0], decayed[1], decayed[2], plain[0], plain[1], plain[2], weightDecay,
                step, lr, beta1, beta2, eps, maxNorm), scope);
    }

    /** The flattened positions {@code rows} (int64 [n]) of {@code hidden} [..., width], as [n, width]. */
    public static NDArray selectRows(NDArray hidden, NDArray rows) {
        return tensor(run("select_rows", hidden, rows), hidden.getManager());
    }

    /**
     * The summed cross-entropy of lm_head(h) for the rows {@code h} [n, width] against {@code labels} (int64 [n]), with
     * its gradients times {@code scale}: [loss, dL/dh, dL/dW or empty]; see the kernel. {@code head} is lm_head's
     * weight as stored; when it already has a gradient, dL/dW is added to that and the third result is empty.
     * {@code work}: a flat float32 buffer of at least [rows, vocab] the logits may use (empty: none).
     */
    public static NDArray[] headGradients(NDArray h, NDArray labels, NDArray head, boolean transposed, double scale,
            boolean weightGrad, NDArray work) {
        PtNDArray grad = weightGrad ? JniUtils.getGradient((PtNDArray) head) : null;
        try (NDArray none = grad == null ? h.getManager().create(new Shape(0), DataType.FLOAT32) : null) {
            NDArray acc = grad != null ? grad : none;
            return tuple(run("head_gradients", h, labels, head, transposed, scale, weightGrad, work, acc),
                    h.getManager());
        } finally {
            if (grad != null) grad.close();
        }
    }

    /**
     * Backpropagates {@code gh} from {@code h} through the model, and adds {@code gw} (if not empty) to {@code head}'s
     * gradient.
     */
    public static void headBackward(NDArray h, NDArray gh, NDArray head, NDArray gw) {
        run("head_backward", h, gh, head, gw).close();
    }

    /** Embedding rows of {@code ids} ([vocab, hidden] table, or [hidden, vocab] when transposed), in {@code scope}. */
    public static NDArray embedding(NDManager scope, NDArray ids, NDArray table, boolean transposed) {
        return tensor(run("embedding", ids, table, transposed), scope);
    }

    /** Embedding rows of {@code ids}, outside autograd, in {@code scope}. */
    public static NDArray embeddingRows(NDManager scope, NDArray ids, NDArray table, boolean transposed) {
        return tensor(run("embedding_rows", ids, table, transposed), scope);
    }

    /** Adds each token's embedding-row gradient into {@code table}'s gradient (which must exist). */
    public static void addEmbeddingGrads(NDArray table, NDArray ids, NDArray rowsGrad, boolean transposed) {
        run("add_embedding_grads", table, ids, rowsGrad, transposed).close();
    }

    /** Whether {@code x} holds bfloat16 (the dtype DJL cannot name). */
    public static boolean isBfloat16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }
}
