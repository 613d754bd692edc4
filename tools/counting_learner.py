"""How the half-way point of rule-following accuracy moves with ring size for an idealised in-context learner.

The learner counts the pairs of neighbouring words it has seen in the context (in both directions) and predicts the
next word in proportion to those counts plus a prior of total weight ALPHA spread evenly over a vocabulary of 37
words: with a small ALPHA it trusts a pair after one sighting, with a large one it waits for several. Walks are
ordinary random walks on a ring, as in absorb's critical-context sweep; accuracy is the probability it puts on the
current word's two neighbours, averaged over walks. Standard library only:

    python3 tools/counting_learner.py
"""
import random

VOCAB = 37
POSITIONS = [1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 30, 44, 64, 94, 137, 199, 255]


def accuracy(n, alpha, length=256, walks=400, seed=0):
    rnd = random.Random(seed)
    acc = {p: 0.0 for p in POSITIONS}
    for _ in range(walks):
        seq = [rnd.randrange(n)]
        for _ in range(length):
            seq.append((seq[-1] + rnd.choice([-1, 1])) % n)
        counts = {}
        for t in range(length):
            if t > 0:
                a, b = seq[t - 1], seq[t]
                counts.setdefault(a, {})[b] = counts.setdefault(a, {}).get(b, 0) + 1
                counts.setdefault(b, {})[a] = counts.setdefault(b, {}).get(a, 0) + 1
            if t in acc:
                cur = seq[t]
                c = counts.get(cur, {})
                total = sum(c.values())
                valid = sum(c.get(nb, 0) + alpha / VOCAB for nb in ((cur - 1) % n, (cur + 1) % n))
                acc[t] += valid / (total + alpha) / walks
    return acc


def first_at(acc, level):
    return next((p for p in POSITIONS if acc[p] >= level), None)


if __name__ == "__main__":
    for alpha in (0.5, 4, 16):
        print(f"prior weight {alpha}:")
        for n in (6, 10, 20):
            a = accuracy(n, alpha)
            print(f"  ring of {n:2d}: accuracy reaches 0.5 at position {first_at(a, 0.5)}, 0.9 at {first_at(a, 0.9)}")
