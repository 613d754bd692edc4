"""Makes the parity fixtures of the hook points inside a block, read and written, with Hugging Face transformers.

Run once by a developer, with the offline reference (see tools/README.md), after make_engine_fixtures.py:

    python tools/make_hook_fixtures.py src/test/resources/fixtures/engine

For each tiny checkpoint there (llama, qwen2, mistral), on the third prompt of its reference.json (long enough for
the sliding windows of qwen2 and mistral to matter), it writes `hooks.json`:

  reads, per block i, as transformers computes them with eager attention in float32:
    resid_pre   the decoder layer's input (a forward pre-hook on the layer)
    attn.pattern  output_attentions=True: softmax(q k^T / sqrt(d) + mask), [head, query, key]
    attn.z      o_proj's input (a forward pre-hook on o_proj), [pos, head, head_dim]
    attn_out    self_attn's output (a forward hook)
    resid_mid   post_attention_layernorm's input (a forward pre-hook)
    mlp_out     mlp's output (a forward hook)
    resid_post  the layer's output (a forward hook)
  writes, each with the logits of every position that follow from it:
    zero_head    head h of block 0 zeroed at o_proj's input (a forward pre-hook on o_proj)
    patch        block 1's input at one position replaced by its value in a second run whose tokens differ there
                 (a forward pre-hook on the layer)
    mean         block 0's attention output replaced by its mean over a reference batch (this run and the second)
    scale        the last block's MLP output halved

The Java test (HookParityTest) reads these files; nothing here runs in CI.
"""

import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM

PROMPT = 2


def floats(t):
    """Nested lists of 7 significant digits (the tests compare to 1e-4)."""
    def rounded(v):
        return [rounded(x) for x in v] if isinstance(v, list) else float(f"{v:.7g}")
    return rounded(t.detach().to(torch.float32).tolist())


def layer_input(args, kwargs):
    return args[0] if args else kwargs["hidden_states"]


@torch.no_grad()
def reads(model, ids):
    cfg = model.config
    heads = cfg.num_attention_heads
    captured = {}
    handles = []
    for i, layer in enumerate(model.model.layers):
        def pre(module, args, kwargs, i=i):
            captured[f"blocks.{i}.resid_pre"] = layer_input(args, kwargs)[0]

        def post(module, args, kwargs, output, i=i):
            captured[f"blocks.{i}.resid_post"] = (output[0] if isinstance(output, tuple) else output)[0]

        def z(module, args, i=i):
            x = args[0][0]
            captured[f"blocks.{i}.attn.z"] = x.reshape(x.shape[0], heads, -1)

        def attn(module, args, kwargs, output, i=i):
            captured[f"blocks.{i}.attn_out"] = output[0][0]

        def mid(module, args, i=i):
            captured[f"blocks.{i}.resid_mid"] = args[0][0]

        def mlp(module, args, output, i=i):
            captured[f"blocks.{i}.mlp_out"] = output[0]

        handles.append(layer.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(layer.register_forward_hook(post, with_kwargs=True))
        handles.append(layer.self_attn.o_proj.register_forward_pre_hook(z))
        handles.append(layer.self_attn.register_forward_hook(attn, with_kwargs=True))
        handles.append(layer.post_attention_layernorm.register_forward_pre_hook(mid))
        handles.append(layer.mlp.register_forward_hook(mlp))
    out = model(torch.tensor([ids]), output_attentions=True)
    for h in handles:
        h.remove()
    for i, a in enumerate(out.attentions):
        captured[f"blocks.{i}.attn.pattern"] = a[0]
    return {k: floats(v) for k, v in captured.items()}, out.logits[0]


@torch.no_grad()
def with_hook(model, ids, module, hook, pre, kwargs=False):
    handle = (module.register_forward_pre_hook(hook, with_kwargs=kwargs) if pre
              else module.register_forward_hook(hook, with_kwargs=kwargs))
    try:
        return model(torch.tensor([ids]) if isinstance(ids[0], int) else torch.tensor(ids)).logits
    finally:
        handle.remove()


@torch.no_grad()
def writes(model, ids):
    cfg = model.config
    heads = cfg.num_attention_heads
    d = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
    layers = model.model.layers
    out = {}

    head = 1

    def zero_head(module, args):
        x = args[0].clone()
        x[..., head * d:(head + 1) * d] = 0
        return (x,)

    out["zero_head"] = {"point": "blocks.0.attn.z", "heads": [head],
                        "logits": floats(with_hook(model, ids, layers[0].self_attn.o_proj, zero_head, True)[0])}

    # a second run with two tokens swapped: the same length, different values from the first swapped position on
    p = 3
    other = list(ids)
    other[p], other[p + 2] = other[p + 2], other[p]
    source = {}

    def keep(module, args, kwargs):
        source["x"] = layer_input(args, kwargs).clone()

    with_hook(model, other, layers[1], keep, True, kwargs=True)

    def patch(module, args, kwargs):
        x = layer_input(args, kwargs).clone()
        x[:, p] = source["x"][:, p]
        if args:
            return (x,) + tuple(args[1:]), kwargs
        kwargs["hidden_states"] = x
        return args, kwargs

    out["patch"] = {"point": "blocks.1.resid_pre", "positions": [p], "source_token_ids": other,
                    "logits": floats(with_hook(model, ids, layers[1], patch, True, kwargs=True)[0])}

    reference = {}

    def keep_attn(module, args, kwargs, output):
        reference["a"] = output[0].clone()

    with_hook(model, [ids, other], layers[0].self_attn, keep_attn, False, kwargs=True)
    mean = reference["a"].mean(dim=0, keepdim=True)

    def mean_attn(module, args, kwargs, output):
        return (mean.expand_as(output[0]).clone(),) + tuple(output[1:])

    out["mean"] = {"point": "blocks.0.attn_out", "reference_token_ids": [ids, other],
                   "logits": floats(with_hook(model, ids, layers[0].self_attn, mean_attn, False, kwargs=True)[0])}

    last = len(layers) - 1

    def halve(module, args, output):
        return output * 0.5

    out["scale"] = {"point": f"blocks.{last}.mlp_out", "factor": 0.5,
                    "logits": floats(with_hook(model, ids, layers[last].mlp, halve, False)[0])}
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/engine"
    for name in ("llama", "qwen2", "mistral"):
        folder = os.path.join(root, name)
        with open(os.path.join(folder, "reference.json")) as f:
            ids = json.load(f)["prompts"][PROMPT]["token_ids"]
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
        model.eval()
        points, logits = reads(model, ids)
        fixture = {"token_ids": ids, "points": points, "logits": floats(logits), "writes": writes(model, ids)}
        with open(os.path.join(folder, "hooks.json"), "w") as f:
            json.dump(fixture, f)
        print(name, len(ids), "tokens,", len(points), "hook points,", os.path.getsize(os.path.join(folder, "hooks.json")),
              "bytes")


if __name__ == "__main__":
    main()
