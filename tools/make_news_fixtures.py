"""Reference scores of New News questions on tiny checkpoints, for absorb's evaluation tests.

For a few questions of data/newnews/news.jsonl, on the tiny random checkpoints of fixtures/engine (Llama and Qwen2,
both with chat templates), computes independently of absorb:
- the letter scores: the prompt built from data/newnews/prompts (system.txt, icl.txt / no_news.txt, question.txt,
  options lettered in the order of a cyclic permutation), rendered with transformers' apply_chat_template with the
  generation prompt, and the next-token log-probabilities of "A".."D" at its end (transformers, eager attention);
(each case carries its news item, so the fixtures do not change when the benchmark file does);
- the continuation scores: lm-evaluation-harness's HFLM.loglikelihood of " " + each option after the continuation
  template, and acc / acc_norm / acc_bytes as its multiple-choice task computes them.

    python tools/make_news_fixtures.py   # writes src/test/resources/fixtures/news/{llama,qwen2}.json
"""
import json
import pathlib

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "data" / "newnews" / "prompts"
OUT = ROOT / "src" / "test" / "resources" / "fixtures" / "news"
LETTERS = ["A", "B", "C", "D"]


def template(name):
    text = (PROMPTS / name).read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text


def fill(name, **values):
    out = template(name)
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)  # placeholders appear once each in the shipped templates
    return out


def question_block(question, displayed):
    options = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(displayed))
    return fill("question.txt", question=question, options=options)


def user_turn(item, q, displayed, condition):
    block = question_block(q["question"], displayed)
    if condition == "icl":
        return fill("icl.txt", news=item["news"], question=block)
    return fill("no_news.txt", question=block)


def continuation_context(item, q, condition):
    if condition == "icl":
        return fill("continuation_icl.txt", news=item["news"], question=q["question"])
    return fill("continuation_no_news.txt", question=q["question"])


def questions():
    items = [json.loads(line) for line in (ROOT / "data" / "newnews" / "news.jsonl").read_text().splitlines() if line]
    picked = []
    for item in (items[0], items[16], items[40]):  # math, coding, discoveries
        for q in item["questions"][:2]:
            picked.append((item, q))
    return picked


def letter_scores(model, tok, item, q, condition, k):
    displayed = [q["options"][(p + k) % 4] for p in range(4)]
    messages = []
    system = template("system.txt").strip()
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": user_turn(item, q, displayed, condition)})
    text = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = tok(text, add_special_tokens=False, return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(ids).logits[0, -1].double()
    logp = torch.log_softmax(logits, -1)
    letter_ids = []
    for letter in LETTERS:
        enc = tok.encode(letter, add_special_tokens=False)
        assert len(enc) == 1, (letter, enc)
        letter_ids.append(enc[0])
    return {"condition": condition, "permutation": k, "rendered": text, "tokens": ids.shape[1],
            "letter_logprobs": [float(logp[i]) for i in letter_ids]}


def continuation_scores(lm, item, q, condition):
    from lm_eval.api.instance import Instance

    context = continuation_context(item, q, condition)
    requests = [Instance(request_type="loglikelihood", doc={}, arguments=(context, " " + o), idx=i)
                for i, o in enumerate(q["options"])]
    results = lm.loglikelihood(requests, disable_tqdm=True)
    lls = np.array([r[0] for r in results])
    chars = np.array([float(len(o)) for o in q["options"]])
    bytes_ = np.array([float(len(o.encode("utf-8"))) for o in q["options"]])
    return {"condition": condition, "context": context, "loglikelihoods": lls.tolist(),
            "greedy": [bool(r[1]) for r in results], "acc": float(np.argmax(lls) == q["answer"]),
            "acc_norm": float(np.argmax(lls / chars) == q["answer"]),
            "acc_bytes": float(np.argmax(lls / bytes_) == q["answer"])}


def main():
    from lm_eval.models.huggingface import HFLM

    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("llama", "qwen2"):
        path = ROOT / "src" / "test" / "resources" / "fixtures" / "engine" / name
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()
        lm = HFLM(pretrained=model, tokenizer=tok, batch_size=1, max_length=4096)
        cases = []
        for item, q in questions():
            case = {"question_id": q["id"], "answer": q["answer"], "item": item, "letter": [], "continuation": []}
            for condition in ("icl", "no-news"):
                for k in (0, 1):
                    case["letter"].append(letter_scores(model, tok, item, q, condition, k))
                case["continuation"].append(continuation_scores(lm, item, q, condition))
            cases.append(case)
        (OUT / f"{name}.json").write_text(json.dumps({"model": f"fixtures/engine/{name}", "cases": cases}, indent=1))
        print(f"wrote {OUT / (name + '.json')}: {len(cases)} questions")


if __name__ == "__main__":
    main()
