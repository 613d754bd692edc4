"""The official `openai` package against `./absorb serve` on a tiny checkpoint, with transformers as the reference for
the numbers: models.list, completions (echo, logprobs, n, seed, stop), chat completions (logprobs, top_logprobs,
streaming), and the errors the package raises for absorb's error bodies (400, 401, 404, 413).

    python tools/check_openai_server.py [MODEL_DIR]      # default: the tiny Qwen2 fixture

Prints one line per check and a summary; exit code 1 if any check fails.
"""
import json
import math
import os
import pathlib
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from serve_check_common import ROOT, Served  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(f"{'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}")


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "src/test/resources/fixtures/engine/qwen2")
    import openai
    import torch
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    hf = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    hf.eval()
    os.environ["ABSORB_CHECK_KEY"] = "check-key-123"
    with Served("--model", model_dir, "--served-model-name", "tiny", "--api-key-env", "ABSORB_CHECK_KEY") as s:
        client = openai.OpenAI(base_url=s.url, api_key="check-key-123", max_retries=0)
        print(f"openai {openai.__version__}, transformers {transformers.__version__}, absorb serve at {s.url}")

        ids = [m.id for m in client.models.list().data]
        check("models.list", ids == ["tiny"], str(ids))

        # greedy chat text against transformers' generate on the same chat prompt
        messages = [{"role": "user", "content": "Tell me about apples."}]
        r = client.chat.completions.create(model="tiny", messages=messages, max_tokens=12, temperature=0, logprobs=True,
                                           top_logprobs=3)
        prompt = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with torch.no_grad():
            out = hf.generate(**prompt, max_new_tokens=12, do_sample=False)
        new = out[0, prompt["input_ids"].shape[1]:]
        want = tok.decode(new, skip_special_tokens=True)
        text = r.choices[0].message.content
        check("chat greedy text = transformers generate", text == want, repr(text))
        check("chat usage", r.usage.prompt_tokens == prompt["input_ids"].shape[1] and r.usage.completion_tokens == len(new))
        # each generated token's logprob against transformers' log-softmax
        with torch.no_grad():
            logits = hf(out).logits[0].log_softmax(-1)
        worst = 0.0
        lp = r.choices[0].logprobs.content
        for i, entry in enumerate(lp):
            pos = prompt["input_ids"].shape[1] + i - 1
            worst = max(worst, abs(entry.logprob - logits[pos, new[i]].item()))
            top = torch.topk(logits[pos], 3)
            worst = max(worst, max(abs(t.logprob - v.item()) for t, v in zip(entry.top_logprobs, top.values)))
        check("chat logprobs and top_logprobs = transformers", len(lp) == len(new) and worst < 1e-4, f"max diff {worst:.2e}")

        # streaming: the chunks add up to the same text
        chunks = list(client.chat.completions.create(model="tiny", messages=messages, max_tokens=12, temperature=0,
                                                     stream=True, stream_options={"include_usage": True}))
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        check("chat streaming", streamed == want and finish == ["length"] and chunks[-1].usage.completion_tokens == 12,
              repr(streamed))

        # completions with echo and logprobs: prompt tokens' log-probabilities against transformers
        text = "The apple fell from the tree"
        r = client.completions.create(model="tiny", prompt=text, max_tokens=0, echo=True, logprobs=1, temperature=0)
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            ls = hf(**enc).logits[0].log_softmax(-1)
        ref = [ls[i - 1, enc["input_ids"][0, i]].item() for i in range(1, enc["input_ids"].shape[1])]
        got = r.choices[0].logprobs.token_logprobs
        ok = got[0] is None and len(got) == len(ref) + 1 and max(abs(a - b) for a, b in zip(got[1:], ref)) < 1e-4
        check("completions echo logprobs = transformers", ok and r.choices[0].text == text)
        offsets = r.choices[0].logprobs.text_offset
        check("completions text_offset", all(text[o:].startswith(t) for o, t in zip(offsets, r.choices[0].logprobs.tokens)
                                            if t), str(offsets))

        # n and seed: choice i samples as a lone request with seed + i
        many = client.completions.create(model="tiny", prompt="Once", max_tokens=8, n=3, seed=5, temperature=1)
        ones = [client.completions.create(model="tiny", prompt="Once", max_tokens=8, seed=5 + i, temperature=1)
                .choices[0].text for i in range(3)]
        check("completions n and seed", [c.text for c in sorted(many.choices, key=lambda c: c.index)] == ones)

        full = client.completions.create(model="tiny", prompt="The", max_tokens=12, temperature=0).choices[0].text
        stop = full[3:5]
        cut = client.completions.create(model="tiny", prompt="The", max_tokens=12, temperature=0, stop=[stop]).choices[0]
        check("completions stop", cut.text == full[:full.index(stop)] and cut.finish_reason == "stop")

        # errors, as the package raises them
        def raises(kind, call):
            try:
                call()
                return False, "no error"
            except kind as e:
                return bool(e.message), e.message
            except Exception as e:  # noqa: BLE001
                return False, repr(e)

        check("404 unknown model -> NotFoundError", *raises(openai.NotFoundError, lambda: client.completions.create(
            model="nope", prompt="a", max_tokens=1)))
        check("400 bad parameter -> BadRequestError", *raises(openai.BadRequestError, lambda: client.completions.create(
            model="tiny", prompt="a", max_tokens=1, temperature=7)))
        check("400 context too long -> BadRequestError", *raises(openai.BadRequestError, lambda: client.completions.create(
            model="tiny", prompt="apple " * 400, max_tokens=1)))
        bad = openai.OpenAI(base_url=s.url, api_key="wrong", max_retries=0)
        check("401 wrong key -> AuthenticationError", *raises(openai.AuthenticationError, lambda: bad.models.list()))
        check("413 body too large -> APIStatusError", *raises(openai.APIStatusError, lambda: client.completions.create(
            model="tiny", prompt="a" * (5 << 20), max_tokens=1)))
    failed = [n for n, ok in results if not ok]
    print(json.dumps({"checks": len(results), "failed": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
