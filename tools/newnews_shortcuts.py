#!/usr/bin/env python3
"""Option-only shortcuts in a New News file, measured independently of absorb's Java code.

    python3 tools/newnews_shortcuts.py [data/newnews/news.jsonl] [--json]

Plain Python 3 (no packages). `./absorb newnews validate --shortcuts` computes the same figures; the test
ShortcutFiguresTest compares the two on the bundled file through src/test/resources/fixtures/news/shortcuts.json, which
this script writes with --fixture. Definitions (the README of data/newnews states them too):

- A question is *numeric* when its four options are dates (`6 June 2027`, `June 2027`, `June 6`), clock times
  (`15:35`), or all have the form prefix + one number + suffix with the same prefix and suffix (`12 minutes`,
  `$1.10`, `3rd`), and the four values are distinct. Dates count in days, times in minutes.
- *rank*: the key's place (1-4) among the four values, smallest first.
- Each heuristic picks options; ties share the credit equally (1/k each). Where a heuristic does not apply
  (a numeric heuristic on a non-numeric question, no option qualifying) it guesses (0.25). Its accuracy is
  over all the domain's questions, so it is what the heuristic scores as a strategy.
  - longest: the longest option(s) by characters.
  - middle: a numeric question's rank-2 and rank-3 options.
  - most_related: the option(s) related to the most others, two values being related when one is twice,
    half, ten times or a tenth of the other, the other's negative, or differs from it by exactly 1.
  - middle_most_related: of the rank-2 and rank-3 options, the one(s) related to more others.
  - consecutive_middle: where three options are consecutive integers, the middle of them.
  - overlap_question / overlap_news: the option(s) sharing most words (lower case, letters and digits) with
    the question / the news; none sharing any is a guess.
  - recoverable: the option(s) equal to a sum, difference, product, quotient or mean of two others, or the sum
    of the other three.
- *shared value*: in one item, a number found in the options of three or more of its questions, other than the
  integers -10 to 10 (small counts recur by nature).
"""
import json
import re
import sys
from fractions import Fraction

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
NUMBER = re.compile(r"[-\u2212]?\d[\d,]*(?:\.\d+)?")
WORD = re.compile(r"[a-z0-9]+")
HEURISTICS = ["longest", "middle", "most_related", "middle_most_related", "consecutive_middle",
              "overlap_question", "overlap_news", "recoverable"]


def days(year, month, day):
    leap_days = (year - 1) // 4 - (year - 1) // 100 + (year - 1) // 400
    leap = 1 if month > 2 and (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 0
    return 365 * (year - 1) + leap_days + DAYS_BEFORE[month - 1] + leap + day


def date_value(s):
    t = s.strip().lower().replace(",", "")
    m = re.fullmatch(r"(\d{1,2}) ([a-z]+) (\d{4})", t)
    if m and m.group(2) in MONTHS:
        return days(int(m.group(3)), MONTHS.index(m.group(2)) + 1, int(m.group(1)))
    m = re.fullmatch(r"([a-z]+) (\d{1,2}) (\d{4})", t)
    if m and m.group(1) in MONTHS:
        return days(int(m.group(3)), MONTHS.index(m.group(1)) + 1, int(m.group(2)))
    m = re.fullmatch(r"([a-z]+) (\d{4})", t)
    if m and m.group(1) in MONTHS:
        return days(int(m.group(2)), MONTHS.index(m.group(1)) + 1, 1)
    m = re.fullmatch(r"(\d{1,2}) ([a-z]+)", t)
    if m and m.group(2) in MONTHS:
        return days(2000, MONTHS.index(m.group(2)) + 1, int(m.group(1)))
    m = re.fullmatch(r"([a-z]+) (\d{1,2})", t)
    if m and m.group(1) in MONTHS:
        return days(2000, MONTHS.index(m.group(1)) + 1, int(m.group(2)))
    return None


def time_value(s):
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", s.strip())
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def number(text):
    return Fraction(text.replace(",", "").replace("\u2212", "-"))


def values(options):
    """The options' values (Fractions) when the question is numeric, else None."""
    for parse in (date_value, time_value):
        v = [parse(o) for o in options]
        if all(x is not None for x in v):
            return [Fraction(x) for x in v] if len(set(v)) == 4 else None
    shapes, v = set(), []
    for o in options:
        found = NUMBER.findall(o)
        if len(found) != 1:
            return None
        m = NUMBER.search(o)
        shapes.add((o[:m.start()], o[m.end():]))
        v.append(number(found[0]))
    return v if len(shapes) == 1 and len(set(v)) == 4 else None


def related(a, b):
    if a == b:
        return False
    if a == -b or abs(a - b) == 1:
        return True
    if a == 0 or b == 0:
        return False
    return b / a in (2, Fraction(1, 2), 10, Fraction(1, 10))


def recoverable(v, others):
    a, b, c = others
    pairs = [(a, b), (a, c), (b, c)]
    for x, y in pairs:
        cands = [x + y, x - y, y - x, x * y, (x + y) / 2]
        if y != 0:
            cands.append(x / y)
        if x != 0:
            cands.append(y / x)
        if v in cands:
            return True
    return v == a + b + c


def credit(picked, key):
    """Expected score of picking uniformly among `picked` (a guess when empty)."""
    if not picked:
        return 0.25
    return (1.0 / len(picked)) if key in picked else 0.0


def argmax(indices, score):
    if not indices:
        return []
    best = max(score(i) for i in indices)
    return [i for i in indices if score(i) == best]


def words(text):
    return set(WORD.findall(text.lower()))


def picks(q, news):
    opts, key = q["options"], q["answer"]
    vals = values(opts)
    out = {"longest": argmax(range(4), lambda i: len(opts[i]))}
    qw, nw = words(q["question"]), words(news)
    for name, ref in (("overlap_question", qw), ("overlap_news", nw)):
        best = argmax(range(4), lambda i: len(words(opts[i]) & ref))
        out[name] = [] if all(len(words(opts[i]) & ref) == 0 for i in best) else best
    for name in ("middle", "most_related", "middle_most_related", "consecutive_middle", "recoverable"):
        out[name] = []
    rank = None
    if vals is not None:
        order = sorted(range(4), key=lambda i: vals[i])
        rank = order.index(key) + 1
        middle = [order[1], order[2]]
        rel = lambda i: sum(related(vals[i], vals[j]) for j in range(4) if j != i)
        out["middle"] = middle
        best = argmax(range(4), rel)
        out["most_related"] = [] if rel(best[0]) == 0 else best
        out["middle_most_related"] = argmax(middle, rel)
        ints = [i for i in range(4) if vals[i].denominator == 1]
        for x in ints:
            up = [j for j in ints if vals[j] == vals[x] + 1]
            down = [j for j in ints if vals[j] == vals[x] - 1]
            if up and down:
                out["consecutive_middle"] = [x]
                break
        out["recoverable"] = [i for i in range(4) if recoverable(vals[i], [vals[j] for j in range(4) if j != i])]
    return out, rank, vals


def shared_values(item):
    seen = {}
    for q in item["questions"]:
        found = set()
        for o in q["options"]:
            for n in NUMBER.findall(o):
                found.add(number(n))
        for v in found:
            seen.setdefault(v, []).append(q["id"])
    flags = []
    for v, qids in sorted(seen.items()):
        if len(qids) >= 3 and not (v.denominator == 1 and abs(v) <= 10):
            keyed = [q["id"] for q in item["questions"]
                     if any(number(n) == v for n in NUMBER.findall(q["options"][q["answer"]]))]
            flags.append({"item": item["id"], "value": fmt(v), "questions": qids, "keyed_in": keyed})
    return flags


def fmt(v):
    return str(v.numerator) if v.denominator == 1 else str(float(v))


def measure(items):
    domains = {}
    for item in items:
        d = domains.setdefault(item["domain"], {"questions": 0, "numeric": 0, "ranks": [0, 0, 0, 0],
                                                "heuristics": {h: 0.0 for h in HEURISTICS},
                                                "applies": {h: 0 for h in HEURISTICS}, "shared_values": []})
        d["shared_values"].extend(shared_values(item))
        for q in item["questions"]:
            p, rank, _ = picks(q, item["news"])
            d["questions"] += 1
            if rank is not None:
                d["numeric"] += 1
                d["ranks"][rank - 1] += 1
            for h in HEURISTICS:
                d["heuristics"][h] += credit(p[h], q["answer"])
                if p[h]:
                    d["applies"][h] += 1
    for d in domains.values():
        n = d["questions"]
        d["heuristics"] = {h: round(x / n, 6) for h, x in d["heuristics"].items()}
        d["rank_shares"] = [round(r / d["numeric"], 6) if d["numeric"] else 0.0 for r in d["ranks"]]
    return domains


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    path = args[0] if args else "data/newnews/news.jsonl"
    items = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    result = measure(items)
    if "--json" in argv or "--fixture" in argv:
        text = json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False)
        if "--fixture" in argv:
            with open("src/test/resources/fixtures/news/shortcuts.json", "w", encoding="utf-8") as f:
                f.write(text + "\n")
        else:
            print(text)
        return
    print("%-13s %4s %4s  %-19s %s" % ("domain", "q", "num", "key rank 1/2/3/4", "  ".join(h[:12] for h in HEURISTICS)))
    for name, d in result.items():
        print("%-13s %4d %4d  %-19s %s" % (name, d["questions"], d["numeric"], "/".join(map(str, d["ranks"])),
                                           "  ".join("%12.3f" % d["heuristics"][h] for h in HEURISTICS)))
    for name, d in result.items():
        for f in d["shared_values"]:
            print("shared value %s in %s: options of %s, key of %s" % (f["value"], f["item"], ",".join(
                q.rsplit("-", 1)[1] for q in f["questions"]), ",".join(q.rsplit("-", 1)[1] for q in f["keyed_in"]) or "none"))


if __name__ == "__main__":
    main(sys.argv[1:])
