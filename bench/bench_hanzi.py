"""Pinyin -> Hanzi benchmark: character error rate on the S0150 dev sentences of 8+ characters,
from perfect pypinyin input and from the recogniser's beam-search pinyin.

    .venv/bin/python bench/bench_hanzi.py [--hyp /tmp/hyp_pinyin.tsv] [--set tone=3.5 ...]

The recogniser's pinyin is cached in --hyp (id<TAB>tokens); missing rows are recognised first
(~3 min for all 500 clips). Figures are printed for all sentences, odd ids and even ids.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from asr import settings
from asr.hanzi import HanziConverter, Penalties, character_error_rate

SHARED = settings.shared_dir()
DATASET = SHARED / "audio" / "aishell-s0150"
MODEL = SHARED / "models" / "zh-pinyin-zipformer-3.3M"
MIN_CHARS = 8


def normalise(text: str) -> str:
    """Keep Hanzi, letters (upper-cased) and digits; drop punctuation and spaces."""
    return "".join(c.upper() for c in text if c.isalnum())


def reference_pinyin(text: str) -> str:
    """Model-style tokens from pypinyin over the whole sentence; letters as capitals."""
    from pypinyin import Style, lazy_pinyin

    def keep(chars: str) -> Any:  # pypinyin accepts a list, its stubs say str
        return list(chars)

    initials = lazy_pinyin(text, style=Style.INITIALS, strict=False, errors=keep)
    finals = lazy_pinyin(text, style=Style.FINALS_TONE, strict=False, errors=keep)
    tokens: list[str] = []
    for initial, final in zip(initials, finals, strict=True):
        if initial == final and len(final) == 1 and not ("\u3400" <= final <= "\u9fff"):
            if final.isascii() and final.isalpha():
                tokens.append(final.upper())
            continue
        tokens.extend(t for t in (initial, final) if t)
    return " ".join(tokens)


def load_rows() -> list[tuple[str, str]]:
    rows = []
    for line in (DATASET / "text.tsv").read_text(encoding="utf-8").splitlines():
        uid, text = line.split("\t", 1)
        if len(normalise(text)) >= MIN_CHARS:
            rows.append((uid, text))
    return rows


def load_hypotheses(path: Path, ids: list[str], beam: int) -> dict[str, str]:
    hyps: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            uid, _, tokens = line.partition("\t")
            hyps[uid] = tokens
    missing = [uid for uid in ids if uid not in hyps]
    if missing:
        from asr.recognizer import Recognizer

        print(f"recognising {len(missing)} clips (beam {beam}) ...", file=sys.stderr)
        recogniser = Recognizer.load(MODEL)
        with path.open("a", encoding="utf-8") as out:
            for uid in missing:
                result = recogniser.recognize_file(DATASET / "wav" / f"{uid}.flac", beam=beam)
                hyps[uid] = result.pinyin
                out.write(f"{uid}\t{result.pinyin}\n")
    return hyps


def evaluate(converter: HanziConverter, inputs: list[tuple[str, str, str]]) -> dict[str, float]:
    """inputs: (id, reference text, pinyin). CER % for all / odd / even ids, ms per sentence."""
    errors = {"all": [0, 0], "odd": [0, 0], "even": [0, 0]}
    start = time.perf_counter()
    for uid, text, pinyin in inputs:
        edits, length = character_error_rate(normalise(text), normalise(converter.convert(pinyin)))
        half = "odd" if int(uid[-4:]) % 2 else "even"
        for name in ("all", half):
            errors[name][0] += edits
            errors[name][1] += length
    elapsed = (time.perf_counter() - start) / max(len(inputs), 1) * 1000
    figures = {name: 100.0 * e / max(n, 1) for name, (e, n) in errors.items()}
    figures["ms"] = elapsed
    return figures


def evaluate_nbest(
    converter: HanziConverter, rows: list[tuple[str, str]], path: Path
) -> dict[str, float]:
    """As evaluate, over N-best pinyin: the text with the best acoustic + language score."""
    nbest: dict[str, list[tuple[str, float]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        uid, score, tokens = line.split("\t")
        nbest.setdefault(uid, []).append((tokens, float(score)))

    class NBest:
        load_seconds = converter.load_seconds

        def convert(self, uid: str) -> str:
            return converter.convert_nbest(nbest.get(uid, []))

    return evaluate(NBest(), [(u, t, u) for u, t in rows])  # type: ignore[arg-type]


def parse_penalties(settings: list[str]) -> Penalties:
    values: dict[str, float | int] = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        values[name] = int(value) if name in ("beam", "max_candidates") else float(value)
    return dataclasses.replace(Penalties(), **values)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hyp", type=Path, default=Path("/tmp/hyp_pinyin.tsv"))
    parser.add_argument("--beam", type=int, default=4, help="recogniser beam for missing rows")
    parser.add_argument("--set", nargs="*", default=[], help="Penalties overrides: name=value")
    parser.add_argument("--nbest", type=Path, default=Path("/tmp/hyp_nbest.tsv"),
                        help="id<TAB>acoustic score<TAB>tokens rows; scored too when present")
    parser.add_argument("--show", type=int, default=0, help="print N worst recogniser rows")
    args = parser.parse_args()

    converter = HanziConverter.load(parse_penalties(args.set))
    rows = load_rows()
    hyps = load_hypotheses(args.hyp, [uid for uid, _ in rows], args.beam)
    perfect = evaluate(converter, [(u, t, reference_pinyin(t)) for u, t in rows])
    recognised = evaluate(converter, [(u, t, hyps[u]) for u, t in rows])
    model = settings.hanzi_lm_path() if converter.lm.is_kenlm else "unigram fallback"
    print(f"sentences: {len(rows)} (>= {MIN_CHARS} chars), load {converter.load_seconds:.2f} s,"
          f" language model: {model}")
    for name, fig in (("perfect pinyin", perfect), (f"recogniser beam {args.beam}", recognised)):
        print(f"{name:>20}: CER {fig['all']:5.2f} %  (odd {fig['odd']:5.2f}, even "
              f"{fig['even']:5.2f})  {fig['ms']:.1f} ms/sentence")
    if args.nbest.exists():
        nbest = evaluate_nbest(converter, rows, args.nbest)
        print(f"{'recogniser N-best':>20}: CER {nbest['all']:5.2f} %  (odd {nbest['odd']:5.2f}, "
              f"even {nbest['even']:5.2f})  {nbest['ms']:.1f} ms/sentence")
    if args.show:
        worst = sorted(rows, key=lambda r: -character_error_rate(
            normalise(r[1]), normalise(converter.convert(hyps[r[0]])))[0])
        for uid, text in worst[: args.show]:
            print(uid, text, converter.convert(hyps[uid]), hyps[uid], sep="\n  ")


if __name__ == "__main__":
    main()
