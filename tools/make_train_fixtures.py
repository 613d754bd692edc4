"""Makes the fine-tuning parity fixtures with PyTorch and PEFT (run once by a developer, offline reference).

    python tools/make_train_fixtures.py src/test/resources/fixtures/engine src/test/resources/fixtures/train

Reads the engine fixtures' tiny Llama (float32, untied, biases) and Qwen2 (tied embeddings, a sliding-window
layer). For a fixed batch (two rows, the second right-padded, the first with its first four tokens not trained on)
it writes, per model:
  full.safetensors: "grad.<name>" = gradient of the mean token loss for every parameter at the start, and
                    "after.<name>" = every parameter after 3 AdamW steps (lr 1e-2, betas 0.9/0.95, eps 1e-8,
                    weight decay 0.1 except biases and norms, global-norm clipping at 1.0, cosine schedule with 1
                    warm-up step over 3), the same batch each step;
  lora_init.safetensors + lora_init/adapter_config.json: a PEFT adapter (r 4, alpha 8, all seven projections) as
                    PEFT initialises it (B = 0);
  lora.safetensors: "grad.<peft name>" at the start and "after.<peft name>" after 3 AdamW steps (lr 5e-3, linear
                    schedule without warm-up, weight decay 0.01, clipping at 1.0);
  train.json:       the batch and the losses.
The loss is the summed cross-entropy of the next-token predictions whose target is trained on, divided by their
number; positions count real tokens only.
"""

import json
import os
import shutil
import sys

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

IDS = [
    [5, 17, 42, 99, 7, 3, 250, 31, 64, 12],
    [8, 77, 13, 140, 2, 56, 9, 0, 0, 0],
]
LENGTHS = [10, 7]
PROMPT = [4, 0]  # tokens at the start of each row that are context only


def batch():
    ids = torch.tensor(IDS)
    mask = torch.tensor([[1] * n + [0] * (10 - n) for n in LENGTHS])
    target = torch.zeros_like(ids, dtype=torch.bool)
    for b, n in enumerate(LENGTHS):
        target[b, PROMPT[b]:n] = True
    target[:, 0] = False
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)
    return ids, mask, target, positions


def loss_of(model, ids, mask, target, positions):
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits.float()
    pred = logits[:, :-1, :]
    labels = ids[:, 1:]
    keep = target[:, 1:]
    ce = torch.nn.functional.cross_entropy(pred[keep], labels[keep], reduction="sum")
    return ce / keep.sum()


def cosine(warmup, total):
    def f(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + __import__("math").cos(__import__("math").pi * 0.5 * 2.0 * progress)))
    return f


def linear(warmup, total):
    def f(step):
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


def train(model, params, lr, wd_params, wd, schedule, steps=3):
    ids, mask, target, positions = batch()
    decay = [p for n, p in params if n in wd_params]
    no_decay = [p for n, p in params if n not in wd_params]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_of(model, ids, mask, target, positions)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0, foreach=False)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


def make(engine_dir, out_dir, name):
    src = os.path.join(engine_dir, name)
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32, attn_implementation="eager")
    model.train()
    ids, mask, target, positions = batch()
    out = {"ids": IDS, "lengths": LENGTHS, "prompt": PROMPT}

    # Full fine-tuning: gradients at the start, weights after three steps.
    params = [(n, p) for n, p in model.named_parameters()]
    loss = loss_of(model, ids, mask, target, positions)
    loss.backward()
    tensors = {f"grad.{n}": p.grad.detach().clone().contiguous() for n, p in params}
    out["full_loss"] = loss.item()
    model.zero_grad()
    wd_params = {n for n, _ in params if not n.endswith(".bias") and "norm" not in n}
    out["full_losses"] = train(model, params, 1e-2, wd_params, 0.1, cosine(1, 3))
    tensors.update({f"after.{n}": p.detach().clone().contiguous() for n, p in params})
    save_file(tensors, os.path.join(out_dir, f"{name}_full.safetensors"))

    # LoRA through PEFT, from PEFT's own initialisation.
    torch.manual_seed(7)
    base = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32, attn_implementation="eager")
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, task_type="CAUSAL_LM",
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    peft_model = get_peft_model(base, config)
    init_dir = os.path.join(out_dir, f"{name}_lora_init")
    peft_model.save_pretrained(init_dir)
    os.remove(os.path.join(init_dir, "README.md"))  # PEFT writes a model card; the test needs the adapter only
    lora = [(n, p) for n, p in peft_model.named_parameters() if p.requires_grad]

    def peft_name(n):
        return n.replace(".default", "")

    loss = loss_of(peft_model, ids, mask, target, positions)
    loss.backward()
    tensors = {f"grad.{peft_name(n)}": p.grad.detach().clone().contiguous() for n, p in lora}
    out["lora_loss"] = loss.item()
    peft_model.zero_grad()
    out["lora_losses"] = train(peft_model, lora, 5e-3, {n for n, _ in lora}, 0.01, linear(0, 3))
    tensors.update({f"after.{peft_name(n)}": p.detach().clone().contiguous() for n, p in lora})
    save_file(tensors, os.path.join(out_dir, f"{name}_lora.safetensors"))

    with open(os.path.join(out_dir, f"{name}_train.json"), "w") as f:
        json.dump(out, f, indent=1)


def main():
    engine_dir = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/engine"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else "src/test/resources/fixtures/train"
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    for name in ("llama", "qwen2"):
        make(engine_dir, out_dir, name)
    print(sorted(os.listdir(out_dir)))


if __name__ == "__main__":
    main()
