"""The generated System-2 data exported for TRL, trained on by TRL's own SFTTrainer: both formats absorb writes (the
conversational `messages` of Self-QA and the `text` of the other protocols) are datasets TRL takes as they are.

    python tools/check_trl_export.py [MODEL_DIR]   # default: the tiny Qwen2 fixture
"""
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "src/test/resources/fixtures/engine/qwen2")
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    with tempfile.TemporaryDirectory() as tmp:
        run = pathlib.Path(tmp) / "run"
        gen = run / "generate"
        # naive: written by absorb itself (no sampling needed); self-qa: a finished stage's train.jsonl as absorb
        # writes it (the exchange question -> answer under the system prompt, with its news id and protocol)
        subprocess.run([str(ROOT / "absorb"), "newnews", "generate", "--model", model, "--protocol", "naive",
                        "--samples", "2", "--domains", "math", "--out", str(gen / "naive")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (gen / "self-qa").mkdir(parents=True)
        with open(gen / "self-qa" / "train.jsonl", "w") as f:
            for i in range(8):
                f.write(json.dumps({"messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": f"What is the tilt product 5 and {i}?"},
                    {"role": "assistant", "content": f"It is {5 * i + 5 - i}."}],
                    "news_id": "math-01", "protocol": "self-qa", "sample": i}) + "\n")
        out = pathlib.Path(tmp) / "trl"
        subprocess.run([str(ROOT / "absorb"), "newnews", "export", "--run", str(run), "--format", "trl", "--out",
                        str(out)], check=True, stdout=subprocess.DEVNULL)
        tok = AutoTokenizer.from_pretrained(model)
        for name in ("naive", "self-qa"):
            data = load_dataset("json", data_files=str(out / f"{name}.jsonl"), split="train")
            lm = AutoModelForCausalLM.from_pretrained(model)
            args = SFTConfig(output_dir=str(pathlib.Path(tmp) / f"sft-{name}"), max_steps=2,
                             per_device_train_batch_size=2, report_to=[], use_cpu=True, save_strategy="no",
                             max_length=512)
            trainer = SFTTrainer(model=lm, args=args, train_dataset=data, processing_class=tok)
            result = trainer.train()
            ok = math.isfinite(result.training_loss)
            print(f"{name}: {len(data)} examples ({', '.join(data.column_names)}), TRL SFT loss"
                  f" {result.training_loss:.3f}" + ("" if ok else " NOT FINITE"))
            if not ok:
                return 1
    print("TRL trains on both exported formats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
