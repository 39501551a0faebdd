"""Wake-word sensitivity calibration (issue 7 §6): recall and false alarms per hour by sensitivity.

Positives: the 44 dev clips with 想听歌曲, clean and with random augmentations (bench/augment.py:
gain, speed, reverberation, white/babble noise, phone band); espeak-ng renderings of the wake
phrases (voice cmn-latn-pinyin and variants, several rates and pitches) embedded in 1–2 s of
silence or noise, clean and augmented. Negatives: every other dev clip (news, names, numbers,
commands), clean and augmented, listened to continuously (all clips of a condition through one
SpotterStream), spotting every phrase being calibrated.

All sensitivities run in one pass: one real SpotterStream whose keywords are every phrase at every
sensitivity (labelled "phrase@sensitivity"). In asr/kws.py each keyword has its own track (Viterbi,
candidate, settling, reset) and the free decoding it is compared with does not depend on the
keywords, so "phrase@s" detects exactly what a spotter holding only the phrases at sensitivity s
would; ``--verify N`` checks that against separate spotters, one per sensitivity, on N clips.
Usage: .venv/bin/python bench/bench_wake_calibration.py [--limit N] [--variants 4]
       [--negative-copies 6] [--verify 6] [--list-alarms 0.5,0.7]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asr.audio import SAMPLE_RATE, load_audio
from asr.kws import DEFAULT_SENSITIVITY, Detection, Keyword, KeywordSpotter, threshold_for
from asr.model import TransducerModel
from bench.augment import KINDS, Augmentation
from bench.common import dev_clips

PRESENT = "想听歌曲"
WAKE = ("你好小灵", "小灵小灵", "嘿小灵", "小爱同学")
PHRASES = (PRESENT, *WAKE)
SENSITIVITIES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
VOICES = ("cmn-latn-pinyin", "cmn-latn-pinyin+m3", "cmn-latn-pinyin+f4", "cmn-latn-pinyin+klatt")
RATES = (110, 140, 170)  # words per minute (espeak-ng's default is 175)
PITCHES = (30, 50, 70)  # 0..99, default 50
SEED = 7
SLACK = 0.3  # seconds a detection may reach outside the rendered phrase


@dataclass
class Positive:
    group: str  # "dev clean", "dev augmented", "espeak clean", "espeak augmented"
    phrase: str
    name: str
    samples: np.ndarray
    span: tuple[float, float] | None  # where the phrase is (espeak); None: anywhere in the clip
    augmentation: Augmentation | None = None


@dataclass
class Negatives:
    condition: str  # "clean" or "augmented"
    seconds: float = 0.0
    alarms: list[Detection] = field(default_factory=list)
    augmentations: list[Augmentation | None] = field(default_factory=list)  # per clip
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0))  # each clip's end, seconds
    utts: list[str] = field(default_factory=list)

    def clip_of(self, detection: Detection) -> int:
        middle = (detection.start + detection.end) / 2
        return min(int(np.searchsorted(self.ends, middle)), len(self.ends) - 1)


# Conditions of the augmented negatives that false alarms are broken down by.
FACTORS: dict[str, Callable[[Augmentation], bool]] = {
    "babble noise": lambda a: a.noise == "babble",
    "babble < 10 dB": lambda a: a.noise == "babble" and a.snr_db < 10,
    "white noise": lambda a: a.noise == "white",
    "no noise": lambda a: a.noise is None,
    "reverberation": lambda a: a.rt60 is not None,
    "speed": lambda a: a.speed is not None,
    "phone band": lambda a: a.phone,
    "gain < -10 dB": lambda a: a.gain_db is not None and a.gain_db < -10,
}


def label(phrase: str, sensitivity: float) -> str:
    return f"{phrase}@{sensitivity}"


def unlabel(keyword: str) -> tuple[str, float]:
    phrase, sensitivity = keyword.rsplit("@", 1)
    return phrase, float(sensitivity)


def sweep_spotter(model: TransducerModel, phrases: tuple[str, ...],
                  sensitivities: tuple[float, ...]) -> KeywordSpotter:
    """Every phrase at every sensitivity, as independent keywords of one real spotter."""
    keywords = []
    for phrase in phrases:
        base = Keyword.from_text(phrase, model)
        keywords += [dataclasses.replace(base, phrase=label(phrase, s), threshold=threshold_for(s))
                     for s in sensitivities]
    return KeywordSpotter(model, keywords)


def spot(spotter: KeywordSpotter, pieces: list[np.ndarray]) -> list[Detection]:
    """Continuous listening: the pieces one after another through one stream."""
    stream = spotter.stream()
    found: list[Detection] = []
    for piece in pieces:
        found += stream.accept(piece)
    return found + stream.finish()


# --- positives ---------------------------------------------------------------------------------

def espeak(text: str, voice: str, rate: int, pitch: int, folder: Path) -> np.ndarray:
    out = folder / "phrase.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(out),
                    text], check=True, capture_output=True)
    return load_audio(out)


def embed(speech: np.ndarray, rng: np.random.Generator,
          pool: list[np.ndarray]) -> tuple[np.ndarray, tuple[float, float], str]:
    """1–2 s before and after, over near-silence (-60 dBFS) or white/babble noise 10–30 dB below
    the phrase."""
    before, after = (int(rng.uniform(1.0, 2.0) * SAMPLE_RATE) for _ in range(2))
    out = np.concatenate([np.zeros(before, np.float32), speech, np.zeros(after, np.float32)])
    kind = str(rng.choice(["silence", "white", "babble"]))
    if kind == "silence":
        noise, level = rng.standard_normal(len(out)), 0.001
    else:
        if kind == "white":
            noise = rng.standard_normal(len(out))
        else:
            pieces = []
            for _ in range(4):
                clip = pool[int(rng.integers(len(pool)))]
                clip = np.tile(clip, int(np.ceil(len(out) / len(clip))) + 1)
                start = int(rng.integers(len(clip) - len(out)))
                piece = clip[start : start + len(out)]
                pieces.append(piece / (np.sqrt(np.mean(piece**2)) + 1e-9))
            noise = np.sum(pieces, axis=0)
        snr = float(rng.uniform(10.0, 30.0))
        kind = f"{kind} {snr:.0f} dB"
        level = np.sqrt(np.mean(speech**2)) * 10 ** (-snr / 20)
    noise = noise / (np.sqrt(np.mean(noise**2)) + 1e-12) * level
    span = (before / SAMPLE_RATE, (before + len(speech)) / SAMPLE_RATE)
    return np.asarray(out + noise, dtype=np.float32), span, kind


def dev_positives(clean: list[np.ndarray], names: list[str], variants: int,
                  pool: list[np.ndarray]) -> list[Positive]:
    out = [Positive("dev clean", PRESENT, n, a, None) for n, a in zip(names, clean, strict=True)]
    for index, (name, audio) in enumerate(zip(names, clean, strict=True)):
        for variant in range(variants):
            augmentation = Augmentation.draw(np.random.default_rng([SEED, 1, index, variant]))
            out.append(Positive("dev augmented", PRESENT, f"{name}/{variant}",
                                augmentation.apply(audio, pool), None, augmentation))
    return out


def espeak_positives(phrases: tuple[str, ...], pool: list[np.ndarray],
                     limit: int | None) -> list[Positive]:
    out: list[Positive] = []
    grid = [(p, v, r, q) for p in phrases for v in VOICES for r in RATES for q in PITCHES]
    if limit is not None:  # an even spread over the grid
        grid = grid[:: max(1, len(grid) // limit)][:limit]
    with tempfile.TemporaryDirectory() as tmp:
        for index, (phrase, voice, rate, pitch) in enumerate(grid):
            rng = np.random.default_rng([SEED, 2, index])
            speech = espeak(phrase, voice, rate, pitch, Path(tmp))
            audio, span, background = embed(speech, rng, pool)
            name = f"{phrase} {voice.split('+')[-1]} s{rate} p{pitch}"
            out.append(Positive("espeak clean", phrase, f"{name}, {background}", audio, span))
            augmentation = Augmentation.draw(rng)
            factor = augmentation.speed or 1.0
            out.append(Positive("espeak augmented", phrase, f"{name}, {background}",
                                augmentation.apply(audio, pool),
                                (span[0] / factor, span[1] / factor), augmentation))
    return out


def hits(positive: Positive, found: list[Detection], sensitivity: float) -> bool:
    for detection in found:
        if detection.keyword != label(positive.phrase, sensitivity):
            continue
        if positive.span is None or (detection.end >= positive.span[0] - SLACK
                                     and detection.start <= positive.span[1] + SLACK):
            return True
    return False


# --- verification of the one-pass sweep ---------------------------------------------------------

def verify(model: TransducerModel, sweep: KeywordSpotter, cases: list[list[np.ndarray]],
           sensitivities: tuple[float, ...]) -> tuple[int, int]:
    """Detections of the sweep against one real spotter per sensitivity; (cases, detections)."""
    compared = 0
    for pieces in cases:
        swept = spot(sweep, pieces)
        for s in sensitivities:
            real = spot(KeywordSpotter(model, [Keyword.from_text(p, model, s) for p in PHRASES]),
                        pieces)
            mine = [dataclasses.replace(d, keyword=unlabel(d.keyword)[0]) for d in swept
                    if unlabel(d.keyword)[1] == s]
            if sorted(mine, key=repr) != sorted(real, key=repr):
                raise SystemExit(f"sweep differs from the real spotter at sensitivity {s}:\n"
                                 f"  sweep {mine}\n  real  {real}")
            compared += len(real)
    return len(cases), compared


# --- report -------------------------------------------------------------------------------------

def fraction(numerator: int, denominator: int) -> str:
    if not denominator:
        return "–"
    return f"{numerator}/{denominator} ({100 * numerator / denominator:.0f} %)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="at most N clips of each kind (development)")
    parser.add_argument("--variants", type=int, default=4,
                        help="augmented copies of each dev positive (default 4)")
    parser.add_argument("--negative-copies", type=int, default=6,
                        help="augmented passes over the negatives (default 6)")
    parser.add_argument("--verify", type=int, default=6,
                        help="clips of each kind checked against per-sensitivity spotters")
    parser.add_argument("--list-alarms", type=lambda text: [float(s) for s in text.split(",")],
                        default=[DEFAULT_SENSITIVITY], metavar="S[,S…]",
                        help="list each false alarm at these sensitivities (default: the default)")
    args = parser.parse_args()
    sensitivities = SENSITIVITIES
    started_cpu, started = time.process_time(), time.perf_counter()

    model = TransducerModel.load()
    sweep = sweep_spotter(model, PHRASES, sensitivities)
    clips = dev_clips()
    positive_clips = [c for c in clips if PRESENT in c.text][: args.limit]
    negative_clips = [c for c in clips if PRESENT not in c.text][: args.limit]
    negative_audio = [load_audio(c.path) for c in negative_clips]
    pool = negative_audio[:50]  # babble never holds the keyword
    positives = dev_positives([load_audio(c.path) for c in positive_clips],
                              [c.utt for c in positive_clips], args.variants, pool)
    positives += espeak_positives(PHRASES, pool, args.limit)
    print(f"{len(positives)} positives; negatives: {len(negative_clips)} dev clips, "
          f"{sum(len(a) for a in negative_audio) / SAMPLE_RATE / 3600:.3f} h per pass, clean and "
          f"{args.negative_copies} augmented passes; phrases {', '.join(PHRASES)}", flush=True)

    if args.verify:
        cases = [[p.samples] for p in positives if p.group == "dev augmented"][: args.verify]
        cases += [[p.samples] for p in positives if p.group == "espeak augmented"][: args.verify]
        rng = np.random.default_rng([SEED, 9])
        cases.append([Augmentation.draw(rng).apply(a, pool)
                      for a in negative_audio[: 3 * args.verify]])
        count, detections = verify(model, sweep, cases, sensitivities)
        print(f"verified: the one-pass sweep equals one real spotter per sensitivity on {count} "
              f"cases ({detections} detections compared)", flush=True)

    spotted_seconds = 0.0
    found_positive: list[list[Detection]] = []
    for positive in positives:
        found_positive.append(spot(sweep, [positive.samples]))
        spotted_seconds += len(positive.samples) / SAMPLE_RATE

    negatives = [Negatives("clean")] + [Negatives("augmented") for _ in range(args.negative_copies)]
    for copy, negative in enumerate(negatives):
        pieces = negative_audio
        negative.augmentations = [None] * len(pieces)
        if negative.condition == "augmented":
            drawn = [Augmentation.draw(np.random.default_rng([SEED, 3, copy, i]))
                     for i in range(len(negative_audio))]
            pieces = [augmentation.apply(a, pool)
                      for augmentation, a in zip(drawn, negative_audio, strict=True)]
            negative.augmentations = list(drawn)
        negative.ends = np.cumsum([len(p) for p in pieces]) / SAMPLE_RATE
        negative.utts = [c.utt for c in negative_clips]
        negative.seconds = sum(len(p) for p in pieces) / SAMPLE_RATE
        negative.alarms = spot(sweep, pieces)
        spotted_seconds += negative.seconds
        print(f"negatives pass {copy} ({negative.condition}): {negative.seconds / 3600:.3f} h, "
              f"{len(negative.alarms)} detections over all phrases and sensitivities", flush=True)

    groups = ["dev clean", "dev augmented", "espeak clean", "espeak augmented"]
    hours = {c: sum(n.seconds for n in negatives if n.condition == c) / 3600
             for c in ("clean", "augmented")}
    print(f"\nfalse alarms: any phrase ({len(PHRASES)}) firing on {hours['clean']:.2f} h clean and "
          f"{hours['augmented']:.2f} h augmented negatives (per keyword-hour: divide by "
          f"{len(PHRASES)})\n")
    print("| sensitivity (threshold) | " + " | ".join(groups)
          + " | false alarms clean | false alarms augmented |")
    print("|---" * (len(groups) + 3) + "|")
    for s in sensitivities:
        cells = []
        for group in groups:
            chosen = [i for i, p in enumerate(positives) if p.group == group]
            cells.append(fraction(sum(hits(positives[i], found_positive[i], s) for i in chosen),
                                  len(chosen)))
        for condition in ("clean", "augmented"):
            count = sum(1 for n in negatives if n.condition == condition for d in n.alarms
                        if unlabel(d.keyword)[1] == s)
            rate = count / hours[condition] if hours[condition] else float("nan")
            cells.append(f"{count} ({rate:.2f}/h; {rate / len(PHRASES):.2f}/phrase-h)")
        mark = " ← asr/kws.py default" if s == DEFAULT_SENSITIVITY else ""
        print(f"| {s}{mark} ({threshold_for(s):.1f}) | " + " | ".join(cells) + " |")

    print("\nfalse alarms by phrase (clean + augmented negatives), and the phrases' scores:")
    for s in sensitivities:
        by_phrase = Counter(unlabel(d.keyword)[0] for n in negatives for d in n.alarms
                            if unlabel(d.keyword)[1] == s)
        print(f"  {s}: " + ", ".join(f"{p} {by_phrase[p]}" for p in PHRASES if by_phrase[p]))
    augmented = [n for n in negatives if n.condition == "augmented"]
    print("\nfalse alarms on the augmented negatives by condition of the clip (count / hours):")
    print("| condition | hours | " + " | ".join(str(s) for s in sensitivities) + " |")
    print("|---" * (len(sensitivities) + 2) + "|")
    for name, test in FACTORS.items():
        seconds = 0.0
        for n in augmented:
            starts = np.concatenate([[0.0], n.ends[:-1]])
            seconds += sum(e - b for a, b, e in zip(n.augmentations, starts, n.ends, strict=True)
                           if a is not None and test(a))
        counts = [sum(1 for n in augmented for d in n.alarms if unlabel(d.keyword)[1] == s
                      and test(n.augmentations[n.clip_of(d)] or Augmentation()))
                  for s in sensitivities]
        print(f"| {name} | {seconds / 3600:.2f} | "
              + " | ".join(f"{c} ({c * 3600 / max(seconds, 1e-9):.1f}/h)" for c in counts) + " |")

    for s in args.list_alarms:
        print(f"\nthe false alarms at sensitivity {s} (phrase, score, clip, its augmentation):")
        for n in negatives:
            for d in n.alarms:
                if unlabel(d.keyword)[1] == s:
                    clip = n.clip_of(d)
                    augmentation = n.augmentations[clip]
                    print(f"  {unlabel(d.keyword)[0]} {d.score:.3f} in {n.utts[clip]} "
                          f"({augmentation.describe() if augmentation else 'clean'})")

    print("\nrecall of the augmented dev positives by augmentation present:")
    for s in sensitivities:
        parts = []
        for kind in KINDS:
            chosen = [i for i, p in enumerate(positives)
                      if p.augmentation is not None and kind in p.augmentation.kinds
                      and p.group == "dev augmented"]
            got = sum(hits(positives[i], found_positive[i], s) for i in chosen)
            parts.append(f"{kind} {fraction(got, len(chosen))}")
        print(f"  {s} dev: " + "; ".join(parts))
    print("\nespeak recall by phrase (clean + augmented):")
    for s in sensitivities:
        parts = []
        for phrase in PHRASES:
            chosen = [i for i, p in enumerate(positives)
                      if p.group.startswith("espeak") and p.phrase == phrase]
            got = sum(hits(positives[i], found_positive[i], s) for i in chosen)
            parts.append(f"{phrase} {fraction(got, len(chosen))}")
        print(f"  {s}: " + "; ".join(parts))
    wrong = Counter((unlabel(d.keyword)[1], f"{p.group.split()[0]} {p.phrase} → "
                     f"{unlabel(d.keyword)[0]}")
                    for p, found in zip(positives, found_positive, strict=True)
                    for d in found if unlabel(d.keyword)[0] != p.phrase)
    print("\nother phrases firing on positive clips:")
    for s in sensitivities:
        print(f"  {s}: " + ", ".join(f"{what} {n}" for (t, what), n in sorted(wrong.items())
                                     if t == s))
    cpu = time.process_time() - started_cpu
    print(f"\n{spotted_seconds / 3600:.2f} h of audio spotted (plus the verification) in "
          f"{time.perf_counter() - started:.0f} s wall, {cpu:.0f} s CPU")


if __name__ == "__main__":
    main()
