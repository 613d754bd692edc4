"""The New News benchmark exported as lm-evaluation-harness tasks, evaluated by lm_eval's own `hf` model, against
absorb's continuation scoring of the same questions on the same checkpoint: acc and acc_norm must agree.

    python tools/check_lm_eval_roundtrip.py [MODEL_DIR] [DOMAIN]   # default: the tiny Qwen2 fixture, math
"""
import json
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
    domain = sys.argv[2] if len(sys.argv) > 2 else "math"
    import lm_eval
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory() as tmp:
        tasks_dir = pathlib.Path(tmp) / "tasks"
        run = pathlib.Path(tmp) / "absorb"
        subprocess.run([str(ROOT / "absorb"), "newnews", "export", "--format", "lm-eval", "--domains", domain,
                        "--out", str(tasks_dir)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(ROOT / "absorb"), "newnews", "eval", "--model", model, "--domains", domain, "--scoring",
                        "continuation", "--condition", "no-news,icl", "--out", str(run)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ours = json.loads((run / "metrics.json").read_text())["conditions"]
        tasks = ["newnews_no_news_options", "newnews_icl_options"]
        result = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32,max_length=4096", tasks=tasks, device="cpu",
                                         task_manager=TaskManager(include_path=str(tasks_dir)), batch_size=1)
        worst = 0.0
        for task, cond in zip(tasks, ["no-news", "icl"]):
            theirs = result["results"][task]
            for metric in ("acc", "acc_norm"):
                a = ours[cond][metric]["overall"]["estimate"]
                b = theirs[f"{metric},none"]
                worst = max(worst, abs(a - b))
                print(f"{cond:8s} {metric:9s} absorb {a:.4f}  lm_eval {b:.4f}")
        print("agree" if worst < 1e-9 else f"DIFFER by up to {worst}")
        return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
