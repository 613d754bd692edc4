"""An independent computation of graph-tracing measures (run once by a developer, offline reference).

    python tools/make_graph_fixtures.py src/test/resources/fixtures/graphs

Makes a tiny random Llama with a word-level tokenizer (tokenizers' WordLevel, BOS added by the post-processor),
samples random walks on a 3x3 grid with its own generator, writes them as sequences.json (the format absorb
writes), and computes with transformers and numpy, at every position t of every sequence:
  accuracy_full[t]  = mean over sequences of sum over neighbours v of the word at t of softmax(logits_t)[token(v)]
  accuracy_graph[t] = the same with the softmax taken over the graph's word tokens only
  energy[hook][t]   = Dirichlet energy of the word means over positions (t - W, t] (pooled over sequences),
                      raw and after centring and scaling to unit Frobenius norm,
for the hook points blocks.{i}.resid_post (each decoder layer's output, before any final norm).
absorb's test evaluates the same sequences with --sequences and compares at its measured positions.
"""

import json
import os
import shutil
import sys

import numpy as np
import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

WORDS = ["apple", "bird", "car", "egg", "house", "milk", "plane", "opera", "box", "sand", "sun", "mango"]
WINDOW = 12


def grid(rows, cols):
    edges = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                edges.append((i, i + 1))
            if r + 1 < rows:
                edges.append((i, i + cols))
    return rows * cols, edges


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/graphs"
    shutil.rmtree(out, ignore_errors=True)
    model_dir = os.path.join(out, "model")
    os.makedirs(model_dir)

    vocab = {"<pad>": 0, "<bos>": 1, "<eos>": 2, "<unk>": 3}
    for w in WORDS:
        vocab[w] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A $B",
                                                       special_tokens=[("<bos>", 1)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")
    fast.save_pretrained(model_dir)

    torch.manual_seed(5)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not name.endswith("norm.weight"):
                p.copy_(0.3 * torch.randn_like(p))
    model.save_pretrained(model_dir)
    model.eval()

    n, edges = grid(3, 3)
    neighbours = {i: set() for i in range(n)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    rng = np.random.default_rng(3)
    batch, length = 4, 40
    nodes = []
    for k in range(batch):
        v, seq = k % n, []
        for _ in range(length):
            seq.append(v)
            v = int(rng.choice(sorted(neighbours[v])))
        nodes.append(seq)
    word_tokens = [vocab[w] for w in WORDS[:n]]
    ids = [[1] + [word_tokens[v] for v in seq] for seq in nodes]
    node_of = [[-1] + seq for seq in nodes]
    with open(os.path.join(out, "sequences.json"), "w") as f:
        json.dump({"token_ids": ids, "nodes": node_of}, f)

    captured = {}
    hooks = []
    for i, layer in enumerate(model.model.layers):
        def save(module, args, output, i=i):
            captured[f"blocks.{i}.resid_post"] = (output[0] if isinstance(output, tuple) else output).detach()
        hooks.append(layer.register_forward_hook(save))
    with torch.no_grad():
        logits = model(torch.tensor(ids)).logits.float()
    for h in hooks:
        h.remove()
    logp = torch.log_softmax(logits, dim=-1).numpy()
    T = length + 1
    acc_full = np.zeros(T)
    acc_graph = np.zeros(T)
    for b in range(batch):
        for t in range(1, T):
            u = node_of[b][t]
            lp = logp[b, t, word_tokens]
            graph = np.exp(lp - lp.max())
            graph /= graph.sum()
            for v in neighbours[u]:
                acc_full[t] += np.exp(lp[v]) / batch
                acc_graph[t] += graph[v] / batch

    energies = {}
    for hook, x in captured.items():
        x = x.numpy().astype(np.float64)
        raw, norm = np.full(T, np.nan), np.full(T, np.nan)
        for t in range(1, T):
            start = max(1, t - WINDOW + 1)
            sums = np.zeros((n, x.shape[2]))
            counts = np.zeros(n)
            for b in range(batch):
                for s in range(start, t + 1):
                    sums[node_of[b][s]] += x[b, s]
                    counts[node_of[b][s]] += 1
            present = counts > 0
            means = np.zeros_like(sums)
            means[present] = sums[present] / counts[present][:, None]
            raw[t] = sum(((means[a] - means[c]) ** 2).sum() for a, c in edges if present[a] and present[c])
            if present.sum() >= 2:
                centred = means[present] - means[present].mean(axis=0)
                full = np.zeros_like(means)
                full[present] = centred / np.sqrt((centred ** 2).sum())
                norm[t] = sum(((full[a] - full[c]) ** 2).sum() for a, c in edges if present[a] and present[c])
        energies[hook] = {"raw": [None if np.isnan(v) else float(v) for v in raw],
                          "normalized": [None if np.isnan(v) else float(v) for v in norm]}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"graph": "grid:3x3", "words": WORDS[:n], "window": WINDOW, "accuracy_full": acc_full.tolist(),
                   "accuracy_graph": acc_graph.tolist(), "energy": energies}, f)


if __name__ == "__main__":
    main()
