"""Merges the five domain files of the New News benchmark into data/newnews/news.jsonl, in domain order, and
evens out the position of the correct option (swapping it with a distractor in as few questions as needed).

    python tools/merge_newnews.py PARTS_DIR data/newnews/news.jsonl

Used once, to assemble the set from the five files its domain writers produced (since removed:
news.jsonl is the one source); kept as the record of that step. Needs only the standard library.
"""
import json
import sys

DOMAINS = ["math", "coding", "discoveries", "leaderboards", "events"]


def main():
    parts, out = sys.argv[1], sys.argv[2]
    items = []
    for d in DOMAINS:
        with open(f"{parts}/{d}.jsonl", encoding="utf-8") as f:
            items += [json.loads(line) for line in f if line.strip()]
    questions = [q for it in items for q in it["questions"]]
    counts = [0, 0, 0, 0]
    for q in questions:
        counts[q["answer"]] += 1
    target = [len(questions) // 4 + (1 if i < len(questions) % 4 else 0) for i in range(4)]
    # Walk from the end so the earliest questions keep their writers' order; move surplus to deficit positions.
    for q in reversed(questions):
        src = q["answer"]
        if counts[src] <= target[src]:
            continue
        dst = next((p for p in range(4) if counts[p] < target[p]), None)
        if dst is None:
            break
        q["options"][src], q["options"][dst] = q["options"][dst], q["options"][src]
        q["answer"] = dst
        counts[src] -= 1
        counts[dst] += 1
    with open(out, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    print(f"{len(items)} items, {len(questions)} questions, answers A/B/C/D = {counts}")


if __name__ == "__main__":
    main()
