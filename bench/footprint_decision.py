"""Decision latency for bench/bench_footprint.py (run by Lingyin's .venv as a child process, so the
benchmark's own memory stays out of it): end of speech → decision, timed as
``UnderstandingStream.finish()`` (intents/speech.py) after a clip was fed in 0.1 s chunks, as the
live loop feeds it, with the DEFAULT grammar (resources/grammar/zh-CN and its lists) and with the
same grammar whose contacts and songs lists hold ``--items`` generated entries more (written to a
temporary lists folder). The dev speaker's command clips (设定…度, 调高/调低温度, 想听/来一首歌曲…,
11 spoken digits) of $LINGYIN_SHARED/audio/aishell-s0150; both understanders share one recogniser
and one pinyin→Hanzi converter and are interleaved clip by clip (which goes first alternates),
``--passes`` times. Prints one JSON object on stdout.

    .venv/bin/python bench/footprint_decision.py [--passes 3] [--items 5000] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 1600  # 0.1 s at 16 kHz
DIGITS = "零洞一幺二两三四五六七拐八九"
COMMAND = re.compile(rf"^(?:设定.+度|调高温度|调低温度|(?:想听|来一首)歌曲.+|[{DIGITS}]{{11}})$")


def command_clips(shared: Path) -> list[tuple[str, Path]]:
    root = shared / "audio" / "aishell-s0150"
    out = []
    for line in (root / "text.tsv").read_text(encoding="utf-8-sig").splitlines():
        if "\t" not in line:
            continue
        utt, text = line.split("\t", 1)
        if COMMAND.match(text.strip()):
            out.append((utt, root / "wav" / f"{utt}.flac"))
    return out


def big_lists(default_lists: Path, target: Path, items: int) -> Path:
    """A copy of the default lists with ``items`` generated contacts and songs appended."""
    from bench.footprint_lists import contact_names, song_titles

    shutil.copytree(default_lists, target)
    generated = (("contacts.txt", contact_names(items)), ("songs.txt", song_titles(items)))
    for name, entries in generated:
        path = target / name
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n"
        path.write_text(text + "\n".join(entries) + "\n", encoding="utf-8")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--model-dir", type=Path)
    args = parser.parse_args()

    import numpy as np

    from asr import settings
    from asr.audio import load_audio
    from asr.recognizer import Recognizer
    from intents.grammar import default_lists_dir, load_grammar
    from intents.speech import SpeechUnderstander, load_to_hanzi

    grammar_dir = ROOT / "resources" / "grammar" / "zh-CN"
    clips = command_clips(settings.shared_dir())
    audio = {utt: load_audio(path) for utt, path in clips}
    recognizer = Recognizer.load(args.model_dir, threads=1)
    to_hanzi = load_to_hanzi()
    understanders = {}
    built = {}
    with tempfile.TemporaryDirectory(prefix="lingyin-footprint-lists-") as tmp:
        lists = {"default grammar": default_lists_dir(grammar_dir),
                 f"default grammar + {args.items:,} contacts and songs":
                     big_lists(default_lists_dir(grammar_dir), Path(tmp) / "lists", args.items)}
        for name, folder in lists.items():
            began = time.perf_counter()
            understanders[name] = SpeechUnderstander(recognizer, load_grammar(grammar_dir, folder),
                                                     to_hanzi=to_hanzi)
            built[name] = round(time.perf_counter() - began, 3)
    names = list(understanders)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    accepted: dict[str, int] = {name: 0 for name in names}
    per_pass: dict[str, list[float]] = {name: [] for name in names}

    def decide(name: str, samples: np.ndarray) -> tuple[float, bool]:
        stream = understanders[name].stream()
        for start in range(0, len(samples), CHUNK):
            stream.accept(samples[start:start + CHUNK])
        began = time.perf_counter()
        result = stream.finish()
        return time.perf_counter() - began, not result.rejected

    first = clips[0][0]
    for name in names:  # warm-up, not timed
        decide(name, audio[first])
    for number in range(args.passes):
        this_pass: dict[str, list[float]] = {name: [] for name in names}
        for index, (utt, _) in enumerate(clips):
            order = names if (index + number) % 2 == 0 else names[::-1]
            for name in order:
                seconds, ok = decide(name, audio[utt])
                this_pass[name].append(seconds)
                if number == 0:
                    accepted[name] += ok
        for name in names:
            latencies[name].extend(this_pass[name])
            per_pass[name].append(float(np.percentile(this_pass[name], 50)))
    out = {"clips": len(clips), "passes": args.passes, "items": args.items,
           "grammars": {}}
    for name in names:
        values = np.array(latencies[name]) * 1000
        out["grammars"][name] = {
            "build_s": built[name], "accepted": accepted[name],
            "p50_ms": round(float(np.percentile(values, 50)), 2),
            "p95_ms": round(float(np.percentile(values, 95)), 2),
            "max_ms": round(float(values.max()), 2),
            "p50_per_pass_ms": [round(v * 1000, 2) for v in per_pass[name]]}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
