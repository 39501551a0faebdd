"""Lingyin's recogniser alone, the like-for-like row beside the sherpa-onnx peers of
bench/bench_footprint.py: ``asr.recognizer.Recognizer.load`` (the three onnxruntime sessions,
one thread) on the same model folder, greedy decoding of one clip (raw float32, 16 kHz mono; 1 s
of silence when none is given) with 0.5 s of tail padding, then one line ``ready {json}`` and a
wait for a line on stdin while the parent reads this process's memory.

    .venv/bin/python bench/footprint_recognizer.py MODEL_DIR [CLIP.f32]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # as app/cli.py does before onnxruntime
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    clip = sys.argv[2] if len(sys.argv) > 2 else None
    began = time.perf_counter()
    import numpy as np

    from asr.recognizer import Recognizer

    imported = time.perf_counter()
    recognizer = Recognizer.load(folder, threads=1, beam=1)
    loaded = time.perf_counter()
    samples = (np.fromfile(clip, dtype=np.float32) if clip
               else np.zeros(16000, dtype=np.float32))
    result = recognizer.recognize(np.concatenate([samples, np.zeros(8000, np.float32)]))
    decoded = time.perf_counter()
    print("ready " + json.dumps({
        "import_s": round(imported - began, 4), "load_s": round(loaded - imported, 4),
        "decode_s": round(decoded - loaded, 4), "tokens": len(result.tokens),
        "text": result.pinyin}, ensure_ascii=False), flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
