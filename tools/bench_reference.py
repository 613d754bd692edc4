"""The Python reference for `./absorb bench`: transformers + PyTorch on CPU, same shapes, same measurements.

    python tools/bench_reference.py --shape small-30m [--dtype bf16] [--threads 2]

Prints one JSON line with the keys `./absorb bench` prints. Prefill: one sequence of --prefill-tokens random ids
through the model with a fresh cache, next-token logits only (logits_to_keep=1). Decode: greedy generate() of
--new-tokens tokens after a --prompt-tokens prompt (min_new_tokens forces the full count), timed end to end and
divided by the new tokens. One warm-up run, then the median of --repeats runs. Peak RSS from getrusage.
"""

import argparse
import json
import resource
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

SHAPES = {
    "small-30m": dict(vocab_size=32000, hidden_size=384, intermediate_size=1024, num_hidden_layers=6,
                      num_attention_heads=6, num_key_value_heads=2, tie_word_embeddings=True,
                      rope_theta=10000.0, rms_norm_eps=1e-6, max_position_embeddings=2048),
    "qwen2.5-0.5b": dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, tie_word_embeddings=True,
                         rope_theta=1000000.0, rms_norm_eps=1e-6, max_position_embeddings=32768),
}


def median(run, repeats):
    run()
    times = sorted(run() for _ in range(repeats))
    return times[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shape", required=True, choices=sorted(SHAPES))
    p.add_argument("--dtype", default="float32", choices=["float32", "bf16"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--prefill-tokens", type=int, default=512)
    p.add_argument("--prompt-tokens", type=int, default=16)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--attn", default="sdpa", help="attention implementation (transformers' default is sdpa)")
    p.add_argument("--train", action="store_true", help="also time training steps (full AdamW; LoRA r16 via PEFT)")
    p.add_argument("--skip-inference", action="store_true")
    p.add_argument("--news", action="store_true", help="also time the New News loops (see news())")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    cfg = SHAPES[a.shape]
    rope = cfg.pop("rope_theta")
    config = Qwen2Config(**cfg, rope_parameters={"rope_type": "default", "rope_theta": rope})
    config._attn_implementation = a.attn
    model = Qwen2ForCausalLM(config).to(dtype).eval()
    g = torch.Generator().manual_seed(1)
    prefill = torch.randint(0, config.vocab_size, (1, a.prefill_tokens), generator=g)
    prompt = torch.randint(0, config.vocab_size, (1, a.prompt_tokens), generator=g)

    @torch.inference_mode()
    def run_prefill():
        t0 = time.perf_counter()
        model(prefill, use_cache=True, logits_to_keep=1).logits.float()
        return time.perf_counter() - t0

    @torch.inference_mode()
    def run_decode():
        t0 = time.perf_counter()
        model.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=a.new_tokens,
                       min_new_tokens=a.new_tokens, do_sample=False, pad_token_id=0)
        return time.perf_counter() - t0

    @torch.inference_mode()
    def run_forward():
        t0 = time.perf_counter()
        model(prefill).logits.float()
        return time.perf_counter() - t0

    out = {"shape": a.shape, "dtype": "bfloat16" if a.dtype == "bf16" else "float32", "threads": a.threads,
           "params": sum(p.numel() for p in model.parameters())}
    if not a.skip_inference:
        out["prefill_tok_s"] = round(a.prefill_tokens / median(run_prefill, a.repeats), 1)
        out["forward_all_logits_tok_s"] = round(a.prefill_tokens / median(run_forward, a.repeats), 1)
        out["decode_tok_s"] = round(a.new_tokens / median(run_decode, a.repeats), 1)
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if a.train:
        out.update(train(model, config, a))
    if a.news:
        out.update(news(model, config, a))
    out["reference"] = f"transformers {__import__('transformers').__version__}, torch {torch.__version__}"
    print(json.dumps(out))


def train(model, config, a):
    """Optimizer steps on random 4 x 128 batches (labels = inputs), full AdamW, then LoRA r16 on all projections."""
    from peft import LoraConfig, get_peft_model

    g = torch.Generator().manual_seed(2)
    batch = torch.randint(0, config.vocab_size, (4, 128), generator=g)
    out = {}

    def timed(m, opt):
        def step():
            t0 = time.perf_counter()
            opt.zero_grad()
            m(input_ids=batch, labels=batch).loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in m.parameters() if p.requires_grad], 1.0)
            opt.step()
            return time.perf_counter() - t0
        return median(step, a.repeats)

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    out["train_tok_s"] = round(batch.numel() / timed(model, opt), 1)
    out["train_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    del opt
    lora = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    opt = torch.optim.AdamW([p for p in lora.parameters() if p.requires_grad], lr=1e-5)
    out["lora_tok_s"] = round(batch.numel() / timed(lora, opt), 1)
    out["lora_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def news(model, config, a):
    """The New News loops as a user of the Python stack runs them, on random ids of the shapes absorb's bench uses:
    transformers' generate() sampling 16 prompts of 64 tokens (temperature 1, top-p 0.95, top-k off, 128 new tokens);
    lm-evaluation-harness's hf model scoring 8 questions of a 200-token context and four 5-token options (its
    loglikelihood path, batch size 1, its default); and letter scoring of 8 questions under 4 option orders (150
    shared + 50 different tokens) in left-padded batches of 16 with next-token logits only (logits_to_keep=1)."""
    import pathlib
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer

    g = torch.Generator().manual_seed(3)
    v = config.vocab_size
    out = {}
    prompts = torch.randint(0, v, (16, 64), generator=g)

    @torch.inference_mode()
    def sample():
        t0 = time.perf_counter()
        model.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=True, temperature=1.0, top_p=0.95,
                       top_k=0, max_new_tokens=128, min_new_tokens=128, pad_token_id=0)
        return time.perf_counter() - t0

    out["sample_tok_s"] = round(16 * 128 / median(sample, a.repeats), 1)

    tok = AutoTokenizer.from_pretrained(pathlib.Path(__file__).resolve().parent.parent
                                        / "src/test/resources/fixtures/engine/qwen2")
    lm = HFLM(pretrained=model, tokenizer=tok, batch_size=1, max_length=4096)
    requests = []
    for q in range(8):
        ctx = torch.randint(0, v, (200,), generator=g).tolist()
        for k in range(4):
            cont = torch.randint(0, v, (5,), generator=g).tolist()
            requests.append((("", ""), ctx, cont))

    def score():
        t0 = time.perf_counter()
        lm._loglikelihood_tokens(requests, disable_tqdm=True)
        return time.perf_counter() - t0

    out["mc_continuation_q_s"] = round(8 / median(score, a.repeats), 1)

    asked = []
    for q in range(8):
        shared = torch.randint(0, v, (150,), generator=g)
        for k in range(4):
            asked.append(torch.cat([shared, torch.randint(0, v, (50,), generator=g)]))
    batch = torch.stack(asked)

    @torch.inference_mode()
    def letters():
        t0 = time.perf_counter()
        for i in range(0, len(asked), 16):
            rows = batch[i:i + 16]
            logits = model(rows, attention_mask=torch.ones_like(rows), logits_to_keep=1).logits[:, -1].float()
            torch.log_softmax(logits, -1)[:, [10, 11, 12, 13]]
        return time.perf_counter() - t0

    out["mc_letter_prompts_s"] = round(len(asked) / median(letters, a.repeats), 1)
    return out


if __name__ == "__main__":
    main()
