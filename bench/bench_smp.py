"""Intent accuracy of the default grammar on SMP2019-ECDT utterances.

    .venv/bin/python -m bench.bench_smp [--shared DIR] [--grammar PATH] [--show-errors N]

Reads ``<shared>/data/nlu/smp2019_train.jsonl`` (``{"text", "domain", "intent", "slots"}``) and
runs every utterance through the intent matcher over ``resources/grammar/zh-CN``.  SMP labels
are mapped to ours by ``MAPPING`` (the table in docs/default-grammar.md):

* a row whose SMP domain/intent is *claimed* counts as correct when the match is one of the
  mapped intents (slots are not scored: SMP names arbitrary apps, people and songs that our
  lists cannot hold; the slot-level figure for the free-text fallbacks is printed separately);
* a row of any other SMP domain/intent is *not covered*: the grammar should reject it, and an
  acceptance counts as a false accept.

Prints accuracy per claimed SMP label, overall, the false-accept rate on the rest (by SMP
domain), and the mean milliseconds per sentence (matcher compiled beforehand).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from asr import settings
from intents.grammar import load_grammar
from intents.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GRAMMAR = ROOT / "resources" / "grammar" / "zh-CN"

# SMP domain/intent → the intents of ours that count as correct.
MAPPING: dict[tuple[str, str], frozenset[str]] = {
    ("app", "LAUNCH"): frozenset({"app.open"}),
    ("telephone", "DIAL"): frozenset({"call.dial"}),
    ("music", "PLAY"): frozenset({"media.play", "media.play_song"}),
    ("weather", "QUERY"): frozenset({"weather.query", "weather.rain", "weather.temperature"}),
}


def load_rows(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# SMP slot → our list file, for --with-smp-names.
NAME_LISTS = {("app", "name"): "apps", ("telephone", "name"): "contacts",
              ("music", "song"): "songs", ("music", "artist"): "artists"}


def extend_lists(source: Path, target: Path, rows: list[dict[str, object]]) -> None:
    """Copy the list files to ``target`` and append the names the SMP rows' slots hold."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    extra: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        slots = row.get("slots") or {}
        assert isinstance(slots, dict)
        for (domain, slot), name in NAME_LISTS.items():
            value = slots.get(slot)
            if row["domain"] == domain and isinstance(value, str) and value.strip():
                extra[name].add(value.strip())
    for name, values in extra.items():
        with (target / f"{name}.txt").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(sorted(values)) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=None, help="shared data folder")
    parser.add_argument("--grammar", type=Path, default=DEFAULT_GRAMMAR)
    parser.add_argument("--with-smp-names", action="store_true",
                        help="add the SMP rows' app, contact, song and artist names to the lists "
                             "first (measures phrasing coverage apart from list contents)")
    parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                        help="print up to N misses and N false accepts")
    args = parser.parse_args(argv)
    shared = args.shared or settings.shared_dir()
    data = shared / "data" / "nlu" / "smp2019_train.jsonl"
    rows = load_rows(data)

    lists_dir = None
    if args.with_smp_names:
        lists_dir = Path(tempfile.mkdtemp(prefix="smp-lists-"))
        extend_lists(args.grammar / "lists", lists_dir, rows)
    grammar = load_grammar(args.grammar, lists_dir)
    matcher = Matcher(grammar)
    t0 = time.perf_counter()
    matcher.warm()
    warm_s = time.perf_counter() - t0

    claimed_total: Counter[tuple[str, str]] = Counter()
    claimed_ok: Counter[tuple[str, str]] = Counter()
    other_total: Counter[str] = Counter()
    other_accepted: Counter[str] = Counter()
    got_by_label: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    false_accepts: list[str] = []
    elapsed = 0.0
    for row in rows:
        text = str(row["text"])
        label = (str(row["domain"]), str(row["intent"]))
        start = time.perf_counter()
        match = matcher.match(text, typed=True)  # typed text, as `lingyin parse` reads it
        elapsed += time.perf_counter() - start
        got = match.key if match else "(rejected)"
        if label in MAPPING:
            claimed_total[label] += 1
            got_by_label[label][got] += 1
            if got in MAPPING[label]:
                claimed_ok[label] += 1
            else:
                misses.append(f"{label[0]}/{label[1]}\t{text}\t→ {got}")
        else:
            other_total[label[0]] += 1
            if match is not None:
                other_accepted[label[0]] += 1
                false_accepts.append(f"{label[0]}/{label[1]}\t{text}\t→ {got} {match.slots}")

    print(f"SMP2019 train: {len(rows)} utterances, {data}")
    print(f"grammar {args.grammar}: {len(grammar.intents)} intents; compile {warm_s:.2f} s"
          + ("; lists extended with the SMP names" if lists_dir else "") + "\n")
    print(f"{'claimed SMP label':<20} {'ours':<52} {'rows':>5} {'correct':>8} {'accuracy':>9}")
    for label, ours in MAPPING.items():
        n, ok = claimed_total[label], claimed_ok[label]
        acc = f"{100 * ok / n:.1f} %" if n else "-"
        print(f"{label[0] + '/' + label[1]:<20} {', '.join(sorted(ours)):<52} {n:>5} {ok:>8} "
              f"{acc:>9}")
    n_claimed, n_ok = sum(claimed_total.values()), sum(claimed_ok.values())
    print(f"{'overall (claimed)':<20} {'':<52} {n_claimed:>5} {n_ok:>8} "
          f"{100 * n_ok / max(n_claimed, 1):>7.1f} %")
    print("\nwhat the claimed rows were understood as:")
    for label, counts in got_by_label.items():
        parts = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        print(f"  {label[0]}/{label[1]}: {parts}")

    n_other, n_fa = sum(other_total.values()), sum(other_accepted.values())
    print(f"\nnot covered (should be rejected): {n_other} rows, {n_fa} accepted → false-accept "
          f"rate {100 * n_fa / max(n_other, 1):.1f} %")
    for domain, n in sorted(other_total.items(), key=lambda kv: (-other_accepted[kv[0]], kv[0])):
        if other_accepted[domain]:
            print(f"  {domain:<12} {other_accepted[domain]:>4} / {n}")
    print(f"\nmean {1000 * elapsed / len(rows):.2f} ms per sentence ({len(rows)} sentences, "
          f"{elapsed:.2f} s)")
    if args.show_errors:
        print("\nmisses (claimed rows not understood as a mapped intent):")
        for line in misses[: args.show_errors]:
            print("  " + line)
        print("\nfalse accepts (rows of domains not covered):")
        for line in false_accepts[: args.show_errors]:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
