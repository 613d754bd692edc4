"""Round-trip fixtures between absorb and transformers / PEFT (run once by a developer, offline reference).

    python tools/make_roundtrip_fixtures.py src/test/resources/fixtures

1. absorb -> Hugging Face: runs `./absorb finetune` on the tiny Llama fixture twice (all weights; LoRA), keeping
   the output folders under roundtrip/absorb_full and roundtrip/absorb_lora. transformers (and PEFT for the
   adapter) load them and save the logits of a prompt as reference_logits.json in each folder.
2. PEFT -> absorb: wraps the tiny Qwen2 fixture with a LoRA adapter (r 4, alpha 16, four projections, random
   non-zero B so it changes the output), saves it with PEFT to roundtrip/peft_lora, and the logits of the adapted
   model and of the merged model as reference_logits.json.
The Java tests load the same folders and compare logits to 1e-4.
"""

import json
import os
import shutil
import subprocess
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPT = "The apple fell from the tree"


def logits_of(model, tok):
    ids = tok(PROMPT, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return ids[0].tolist(), model(ids).logits[0].float().tolist()


def absorb_side(root):
    data = os.path.join(root, "roundtrip", "train.jsonl")
    with open(data, "w") as f:
        for i in range(24):
            f.write(json.dumps({"text": f"The apple fell from the tree {i % 5} times, said the bird."}) + "\n")
    base = os.path.join(root, "engine", "llama")
    for name, extra in (("absorb_full", []), ("absorb_lora", ["--lora", "--lora-rank", "4", "--lora-alpha", "8"])):
        out = os.path.join(root, "roundtrip", name)
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(["./absorb", "finetune", "--model", base, "--data", data, "--out", out, "--max-steps", "6",
                        "--lr", "5e-3", "--batch-size", "4", "--checkpoint-every", "0", *extra], check=True)
        shutil.rmtree(os.path.join(out, "checkpoints"), ignore_errors=True)
        tok = AutoTokenizer.from_pretrained(base)
        if name == "absorb_full":
            model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
        else:
            model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), out)
        ids, logits = logits_of(model.eval(), tok)
        with open(os.path.join(out, "reference_logits.json"), "w") as f:
            json.dump({"prompt": PROMPT, "token_ids": ids, "logits": logits}, f)


def peft_side(root):
    base = os.path.join(root, "engine", "qwen2")
    out = os.path.join(root, "roundtrip", "peft_lora")
    shutil.rmtree(out, ignore_errors=True)
    torch.manual_seed(11)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
                        target_modules=["q_proj", "v_proj", "up_proj", "down_proj"])
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if "lora_B" in n:
                p.copy_(0.2 * torch.randn_like(p))
    peft_model.save_pretrained(out)
    os.remove(os.path.join(out, "README.md"))  # PEFT's model card; the test needs the adapter only
    tok = AutoTokenizer.from_pretrained(base)
    ids, adapted = logits_of(peft_model.eval(), tok)
    merged = peft_model.merge_and_unload()
    _, merged_logits = logits_of(merged.eval(), tok)
    with open(os.path.join(out, "reference_logits.json"), "w") as f:
        json.dump({"prompt": PROMPT, "token_ids": ids, "logits": adapted, "merged_logits": merged_logits}, f)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures"
    os.makedirs(os.path.join(root, "roundtrip"), exist_ok=True)
    absorb_side(root)
    peft_side(root)


if __name__ == "__main__":
    main()
