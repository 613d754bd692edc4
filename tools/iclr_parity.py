"""Runs the study's own accuracy and energy code (ajyl/ICLR_ICLR) on absorb's sequences, side by side with absorb.

    git clone https://github.com/ajyl/ICLR_ICLR /tmp/iclr_iclr    # or any checkout of it
    python tools/iclr_parity.py /tmp/iclr_iclr src/test/resources/fixtures/iclr

Nothing of the study's code is copied here: the script imports its modules from the checkout and runs them as they
are, on inputs laid out as its data files are. On the bundled model (models/graphs-small, through transformers) and
16 random walks of 120 words on the 4x4 grid (one starting at each node, as its uniform_init batches), it computes:

  accuracy_full   scripts/get_accuracy.main: probability on the valid next words, softmax over the whole vocabulary
  accuracy_graph  the block of utils.run after "# rule acc and prob mse": softmax over the graph's words only
  mse             the same block's prob_mses: mean squared error against the uniform distribution over neighbours
  energy_paper    utils.get_class_mean_activations with the notebooks' window of 20 ([t - 20, t]) at every position,
                  then grid_figures.ipynb's energy cell (word means over their Frobenius norm, not centred, squared
                  differences averaged over dimensions, half the sum over ordered neighbour pairs), per layer's output

It writes sequences.json (absorb's format) and reference.json into the fixture folder; StudyConventionsTest runs absorb
on them with --energy paper --window-convention paper. If absorb's jar is built, the script also runs ./absorb
graph-trace on the same sequences and prints the largest differences. The study's modules import transformer_lens at
the top, which none of this uses: a stand-in module is registered when it is not installed.

get_accuracy.py's traverse branch pairs probs[:, 1:] (one row per word) with possibilities[:, :-1]; its data are given
one row of possibilities more than there are words (a row of zeros at the end) so that row k is word k's neighbours.
"""

import contextlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import types

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = "models/graphs-small"
WORDS = ["apple", "bird", "car", "egg", "house", "milk", "plane", "opera", "box", "sand", "sun", "mango", "rock",
         "math", "code", "phone"]
WINDOW = 20
LENGTH = 120


def grid_adjacency(side):
    a = np.zeros((side * side, side * side), dtype=bool)
    for r in range(side):
        for c in range(side):
            i = r * side + c
            if c + 1 < side:
                a[i, i + 1] = a[i + 1, i] = True
            if r + 1 < side:
                a[i, i + side] = a[i + side, i] = True
    return a


@contextlib.contextmanager
def cuda_is_cpu():
    """The study's code moves tensors to "cuda"; here that means the CPU."""
    original = torch.Tensor.to

    def to(self, *args, **kwargs):
        args = tuple("cpu" if a == "cuda" else a for a in args)
        if kwargs.get("device") == "cuda":
            kwargs["device"] = "cpu"
        return original(self, *args, **kwargs)

    torch.Tensor.to = to
    try:
        yield
    finally:
        torch.Tensor.to = original


def notebook_cell(path, marker):
    with open(path) as f:
        nb = json.load(f)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and marker in src:
            return src
    raise SystemExit(f"no cell with {marker!r} in {path}")


def block_after(source, start, end):
    lines = source.splitlines()
    i = next(k for k, l in enumerate(lines) if start in l)
    j = next(k for k, l in enumerate(lines) if end in l and k > i)
    return textwrap.dedent("\n".join(lines[i:j]))


def main():
    study, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, study)
    if "transformer_lens" not in sys.modules:
        try:
            import transformer_lens  # noqa: F401
        except ImportError:
            stand_in = types.ModuleType("transformer_lens")
            stand_in.HookedTransformer = None
            sys.modules["transformer_lens"] = stand_in
    import utils  # the study's
    from scripts import get_accuracy  # the study's

    os.makedirs(out, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    model.tokenizer = tok
    adjacency = grid_adjacency(4)
    n = len(WORDS)
    word_tokens = [tok.encode(" " + w, add_special_tokens=False)[0] for w in WORDS]
    bos = tok.bos_token_id

    rng = np.random.default_rng(11)
    walks = []
    for start in range(n):
        v, walk = start, []
        for _ in range(LENGTH):
            walk.append(v)
            v = int(rng.choice(np.flatnonzero(adjacency[v])))
        walks.append(walk)
    ids = torch.tensor([[bos] + [word_tokens[v] for v in w] for w in walks])
    with open(os.path.join(out, "sequences.json"), "w") as f:
        json.dump({"token_ids": ids.tolist(), "nodes": [[-1] + w for w in walks]}, f)

    # the study's data layout (utils.InContextGraphRandom.get_sequence_traverse, get_batched_sequences)
    i_words = torch.tensor(walks)
    possibilities = torch.from_numpy(adjacency)[i_words]
    word_masks = torch.stack([torch.stack([ids[b] == word_tokens[i] for i in range(n)]) for b in range(n)])
    relevant = torch.tensor(word_tokens + [bos, bos])
    with tempfile.TemporaryDirectory() as exp_dir:
        padded = torch.cat([possibilities, torch.zeros(n, 1, n, dtype=torch.bool)], dim=1)
        torch.save({"token_ids": ids, "word_masks": word_masks, "possibilities": padded, "word_tokens": relevant,
                    "n_words": n}, os.path.join(exp_dir, "data.pt"))
        config = {"exp_dir": exp_dir, "model_params": {"model_name": model.config._name_or_path},
                  "dgp_params": {"sampling_kwargs": {"method": "traverse"}}}
        with cuda_is_cpu(), torch.no_grad():
            accuracy_full = get_accuracy.main(config, model)  # position k + 1 for k = 0 .. LENGTH - 1

    with torch.no_grad():
        out_model = model(ids, output_hidden_states=True)
    logits = out_model.logits[:, :, relevant]
    data = {"word_positions": torch.arange(1, LENGTH + 1).repeat(n, 1), "possibilities": possibilities}
    scope = {"torch": torch, "logits": logits, "data": data, "config": config}
    exec(block_after(inspect.getsource(utils.run), "# rule acc and prob mse", "rule_accs_save_path"), scope)
    accuracy_graph = scope["rule_accs"].mean(0)
    mse = scope["prob_mses"].mean(0)

    # activations [layer, batch, seq, d]: each decoder layer's output, as utils.record keeps them
    acts = torch.stack([out_model.hidden_states[i + 1] for i in range(model.config.num_hidden_layers)])
    acts[-1] = _last_layer_output(model, ids)
    seq_locs = list(range(1, LENGTH + 1))
    class_mean_activations = torch.stack([utils.get_class_mean_activations(acts, seq_loc=t, word_masks=word_masks,
                                                                           window_size=WINDOW) for t in seq_locs])
    cell = notebook_cell(os.path.join(study, "grid_figures.ipynb"), "energies = []")
    scope = {"torch": torch, "class_mean_activations": class_mean_activations,
             "adjacency_matrix": torch.from_numpy(adjacency), "seq_locs": seq_locs}
    with contextlib.redirect_stdout(open(os.devnull, "w")):
        exec(cell, scope)
    energies = scope["energies"]  # [position, layer]

    ref = {"model": MODEL, "graph": "grid:4x4", "words": WORDS, "window": WINDOW,
           "accuracy_full": [None] + [float(x) for x in accuracy_full],
           "accuracy_graph": [None] + [float(x) for x in accuracy_graph],
           "mse": [None] + [float(x) for x in mse],
           "energy_paper": {f"blocks.{i}.resid_post": [None] + [float(e) for e in energies[:, i]]
                            for i in range(energies.shape[1])}}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)
    print("wrote", out, "with", LENGTH, "positions")
    compare(out, ref)


def _last_layer_output(model, ids):
    """transformers' last hidden state is after the final norm; the study records the last layer's own output."""
    kept = {}
    handle = model.model.layers[-1].register_forward_hook(lambda m, a, o: kept.setdefault("x", o[0] if isinstance(o, tuple) else o))
    with torch.no_grad():
        model(ids)
    handle.remove()
    return kept["x"]


def compare(out, ref):
    jar = os.path.join("target", "absorb.jar")
    if not os.path.exists(jar):
        print("absorb's jar is not built: run ./absorb once to compare")
        return
    with tempfile.TemporaryDirectory() as run:
        subprocess.run(["./absorb", "graph-trace", "--model", MODEL, "--graph", "grid:4x4", "--words",
                        _words_file(run), "--sequences", os.path.join(out, "sequences.json"), "--window", str(WINDOW),
                        "--energy", "paper", "--window-convention", "paper", "--out", run],
                       check=True, stderr=subprocess.DEVNULL)
        with open(os.path.join(run, "metrics.json")) as f:
            m = json.load(f)
    pos = m["accuracy"]["positions"]
    worst = {}
    for key, ours in (("accuracy_full", m["accuracy"]["full_vocab"]), ("accuracy_graph", m["accuracy"]["graph_words"]),
                      ("mse", m["accuracy"]["mse_uniform_neighbours"])):
        worst[key] = max(abs(ours[k] - ref[key][t]) for k, t in enumerate(pos))
    for hook, values in ref["energy_paper"].items():
        e = m["energy"][hook]
        worst["energy_paper " + hook] = max(abs(e["paper"][k] - values[t]) / abs(values[t])
                                            for k, t in enumerate(e["positions"]))
    for k, v in worst.items():
        print(f"{k}: largest {'relative ' if k.startswith('energy') else ''}difference {v:.3g} over {len(pos)} positions")


def _words_file(run):
    path = os.path.join(run, "words.txt")
    with open(path, "w") as f:
        f.write("\n".join(WORDS) + "\n")
    return path


if __name__ == "__main__":
    main()
