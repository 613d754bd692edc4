#!/usr/bin/env bash
# Measures absorb against the Python reference (transformers + PyTorch, CPU) on the same machine, in the same run,
# and prints a markdown table of the ratios. Runs alternate (absorb, reference, absorb, reference, ...) and each
# number is the median over rounds, because shared machines drift.
#
#   tools/bench.sh PYTHON [ROUNDS] [THREADS]
#
# PYTHON is an interpreter with torch, transformers and peft installed (see tools/README.md).
set -euo pipefail
py="${1:?usage: tools/bench.sh PYTHON [ROUNDS] [THREADS]}"
rounds="${2:-3}"
threads="${3:-2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d)"
export OPT_OUT_TRACKING=true

run() { # name, then the command
  local name="$1"; shift
  "$@" 2>/dev/null | tail -n 1 >> "$out/$name.jsonl"
}

for ((r = 1; r <= rounds; r++)); do
  echo "round $r of $rounds" >&2
  run small_absorb "$here/absorb" bench --shape small-30m --threads "$threads" --train
  run small_ref "$py" "$here/tools/bench_reference.py" --shape small-30m --threads "$threads" --train
  run qwen_absorb "$here/absorb" bench --shape qwen2.5-0.5b --threads "$threads" --repeats 1
  run qwen_ref "$py" "$here/tools/bench_reference.py" --shape qwen2.5-0.5b --threads "$threads" --repeats 1
  run qwen_bf16_absorb "$here/absorb" bench --shape qwen2.5-0.5b --threads "$threads" --repeats 1 --dtype bf16
  if [ "${NEWS:-0}" = 1 ]; then # the New News loops (NEWS=1 tools/bench.sh ...)
    run news_small_absorb "$here/absorb" bench --shape small-30m --threads "$threads" --skip-inference --news
    run news_small_ref "$py" "$here/tools/bench_reference.py" --shape small-30m --threads "$threads" --skip-inference --news
    run news_qwen_absorb "$here/absorb" bench --shape qwen2.5-0.5b --threads "$threads" --skip-inference --news --repeats 1
    run news_qwen_ref "$py" "$here/tools/bench_reference.py" --shape qwen2.5-0.5b --threads "$threads" --skip-inference --news --repeats 1
  fi
done

"$py" - "$out" <<'EOF'
import json, os, statistics, sys
d = sys.argv[1]
def load(name):
    rows = [json.loads(l) for l in open(os.path.join(d, name + ".jsonl")) if l.strip()]
    keys = {k for r in rows for k, v in r.items() if isinstance(v, (int, float))}
    return {k: statistics.median(r[k] for r in rows if k in r) for k in keys}
small_a, small_r = load("small_absorb"), load("small_ref")
qwen_a, qwen_r, qwen_b = load("qwen_absorb"), load("qwen_ref"), load("qwen_bf16_absorb")
rows = [
    ("small-30m", "prefill, next-token logits (tok/s)", small_a, small_r, "prefill_tok_s"),
    ("small-30m", "forward, logits at every position (tok/s)", small_a, small_r, "forward_all_logits_tok_s"),
    ("small-30m", "decode, greedy with KV cache (tok/s)", small_a, small_r, "decode_tok_s"),
    ("small-30m", "full fine-tuning, AdamW, 4 x 128 (tok/s)", small_a, small_r, "train_tok_s"),
    ("small-30m", "LoRA r16, all projections, 4 x 128 (tok/s)", small_a, small_r, "lora_tok_s"),
    ("small-30m", "peak memory, inference (MB, lower is better)", small_a, small_r, "peak_rss_mb"),
    ("small-30m", "peak memory, full fine-tuning (MB)", small_a, small_r, "train_peak_rss_mb"),
    ("small-30m", "peak memory, LoRA (MB)", small_a, small_r, "lora_peak_rss_mb"),
    ("qwen2.5-0.5b", "prefill, next-token logits (tok/s)", qwen_a, qwen_r, "prefill_tok_s"),
    ("qwen2.5-0.5b", "forward, logits at every position (tok/s)", qwen_a, qwen_r, "forward_all_logits_tok_s"),
    ("qwen2.5-0.5b", "decode (tok/s)", qwen_a, qwen_r, "decode_tok_s"),
    ("qwen2.5-0.5b", "peak memory (MB, lower is better)", qwen_a, qwen_r, "peak_rss_mb"),
    ("qwen2.5-0.5b bf16", "prefill vs the float32 reference (tok/s)", qwen_b, qwen_r, "prefill_tok_s"),
    ("qwen2.5-0.5b bf16", "decode vs the float32 reference (tok/s)", qwen_b, qwen_r, "decode_tok_s"),
    ("qwen2.5-0.5b bf16", "peak memory (MB)", qwen_b, qwen_r, "peak_rss_mb"),
]
print("| shape | measure | absorb | reference | ratio |")
print("|---|---|---:|---:|---:|")
for shape, what, a, r, k in rows:
    if k in a and k in r:
        print(f"| {shape} | {what} | {a[k]:.1f} | {r[k]:.1f} | {a[k] / r[k]:.2f}x |")
if os.path.exists(os.path.join(d, "news_small_absorb.jsonl")):
    for shape, a, r in (("small-30m", load("news_small_absorb"), load("news_small_ref")),
                        ("qwen2.5-0.5b", load("news_qwen_absorb"), load("news_qwen_ref"))):
        for what, k, ref in (("batched sampling, 16 x 64 + 128 (tok/s)", "sample_tok_s", "transformers generate"),
                             ("continuation scoring (questions/s)", "mc_continuation_q_s", "lm-eval hf"),
                             ("letter scoring (prompts/s)", "mc_letter_prompts_s", "transformers forward")):
            if k in a and k in r:
                print(f"| {shape} | {what}, against {ref} | {a[k]:.1f} | {r[k]:.1f} | {a[k] / r[k]:.2f}x |")
EOF
echo "raw runs: $out" >&2
