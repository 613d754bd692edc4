"""lm-evaluation-harness against `./absorb serve` on a tiny checkpoint, with lm_eval's own `hf` model on the same
checkpoint as the reference:

- `local-completions` (loglikelihood: /v1/completions with echo and logprobs, prompts as token ids) on the New News
  multiple-choice tasks that `./absorb newnews export --format lm-eval` writes: acc and acc_norm equal hf's, and every
  document's log-likelihoods agree to 1e-4;
- the same with `tokenizer_backend=remote` (the server's /tokenize, /detokenize and /tokenizer_info, as vLLM
  has them): the same log-likelihoods as with a local tokenizer;
- `local-chat-completions` (generate_until through /v1/chat/completions, chat template applied by the server) on a
  generation task over the same questions: every response equals hf's with apply_chat_template.

    python tools/check_lm_eval_server.py [MODEL_DIR] [DOMAIN]    # default: the tiny Qwen2 fixture, math
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from serve_check_common import ROOT, Served  # noqa: E402

GENERATE_TASK = """task: newnews_generate
dataset_path: json
dataset_kwargs:
  data_files:
    test: "{docs}"
test_split: test
output_type: generate_until
doc_to_text: "{{{{context}}}}"
doc_to_target: "{{{{choices[answer]}}}}"
generation_kwargs:
  until: ["\\n"]
  max_gen_toks: 12
  do_sample: false
  temperature: 0.0
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""


def samples(result, task):
    return sorted(result["samples"][task], key=lambda s: s["doc_id"])


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "src/test/resources/fixtures/engine/qwen2")
    domain = sys.argv[2] if len(sys.argv) > 2 else "math"
    import lm_eval
    from lm_eval.tasks import TaskManager

    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        tasks_dir = pathlib.Path(tmp) / "tasks"
        subprocess.run([str(ROOT / "absorb"), "newnews", "export", "--format", "lm-eval", "--domains", domain,
                        "--permutations", "1", "--out", str(tasks_dir)], check=True, stdout=subprocess.DEVNULL)
        (tasks_dir / "newnews_generate.yaml").write_text(
            GENERATE_TASK.format(docs=tasks_dir / "newnews_no_news_letters.jsonl"))
        tm = TaskManager(include_path=str(tasks_dir))
        mc = ["newnews_no_news_options", "newnews_icl_options"]
        print(f"lm_eval {lm_eval.__version__ if hasattr(lm_eval, '__version__') else ''}; model {model}; domain {domain}")
        ref = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32,max_length=4096",
                                      tasks=mc, device="cpu", task_manager=tm, batch_size=1, log_samples=True)
        ref_gen = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={model},dtype=float32,max_length=4096", tasks=["newnews_generate"],
                                          device="cpu", task_manager=tm, batch_size=1, log_samples=True,
                                          apply_chat_template=True)
        # --tokenizer-eos: lm_eval's hf model ends generations at the tokenizer's EOS text too (as vLLM ends at its token)
        with Served("--model", model, "--served-model-name", "tiny", "--max-model-len", "4096", "--tokenizer-eos") as s:
            got = lm_eval.simple_evaluate(
                model="local-completions",
                model_args=f"base_url={s.url}/completions,model=tiny,tokenizer={model},tokenizer_backend=huggingface,"
                           f"num_concurrent=4,max_retries=1,max_length=4096",
                tasks=mc, task_manager=tm, log_samples=True)
            # the same with the server's tokenizer (vLLM's /tokenize, /detokenize and /tokenizer_info) instead of a
            # local copy
            got_remote = lm_eval.simple_evaluate(
                model="local-completions",
                model_args=f"base_url={s.url}/completions,model=tiny,tokenizer_backend=remote,"
                           f"num_concurrent=4,max_retries=1,max_length=4096",
                tasks=mc, task_manager=tm, log_samples=True)
            got_gen = lm_eval.simple_evaluate(
                model="local-chat-completions",
                model_args=f"base_url={s.url}/chat/completions,model=tiny,num_concurrent=4,max_retries=1",
                tasks=["newnews_generate"], task_manager=tm, log_samples=True, apply_chat_template=True)
        for task in mc:
            for metric in ("acc,none", "acc_norm,none"):
                a, b = got["results"][task][metric], ref["results"][task][metric]
                ok = abs(a - b) < 1e-12
                print(f"{'ok  ' if ok else 'FAIL'} {task} {metric.split(',')[0]}: local-completions {a:.4f}, hf {b:.4f}")
                if not ok:
                    failed.append(f"{task} {metric}")
            worst = 0.0
            for x, y in zip(samples(got, task), samples(ref, task)):
                for (lx, gx), (ly, gy) in zip([r[0] for r in x["resps"]], [r[0] for r in y["resps"]]):
                    worst = max(worst, abs(float(lx) - float(ly)))
            ok = worst < 1e-4
            print(f"{'ok  ' if ok else 'FAIL'} {task} per-option log-likelihoods: max difference {worst:.2e}")
            if not ok:
                failed.append(f"{task} log-likelihoods")
        for task in mc:
            a = [x["resps"] for x in samples(got_remote, task)]
            b = [x["resps"] for x in samples(got, task)]
            ok = a == b and got_remote["results"][task]["acc,none"] == got["results"][task]["acc,none"]
            print(f"{'ok  ' if ok else 'FAIL'} {task}: tokenizer_backend=remote gives the same {len(b)} documents'"
                  f" log-likelihoods as a local tokenizer (acc {got_remote['results'][task]['acc,none']:.4f})")
            if not ok:
                failed.append(f"{task} remote tokenizer")
        xs, ys = samples(got_gen, "newnews_generate"), samples(ref_gen, "newnews_generate")
        same = sum(x["resps"][0][0] == y["resps"][0][0] for x, y in zip(xs, ys))
        ok = same == len(ys) and len(xs) == len(ys)
        print(f"{'ok  ' if ok else 'FAIL'} newnews_generate (local-chat-completions vs hf, chat template): {same} of"
              f" {len(ys)} responses identical; exact_match {got_gen['results']['newnews_generate']['exact_match,none']:.4f}"
              f" vs {ref_gen['results']['newnews_generate']['exact_match,none']:.4f}")
        if not ok:
            failed.append("newnews_generate")
            for x, y in zip(xs, ys):
                if x["resps"][0][0] != y["resps"][0][0]:
                    print("   doc", y["doc_id"], "absorb:", repr(x["resps"][0][0]), " hf:", repr(y["resps"][0][0]))
    print(json.dumps({"failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
