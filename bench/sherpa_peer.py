"""The Python peer of bench/bench_footprint.py, run by the sherpa-onnx virtualenv's interpreter
(bench/sherpa_setup.sh; never Lingyin's .venv): sherpa-onnx's OnlineRecognizer loads the same
transducer files Lingyin uses, decodes one clip (raw float32, 16 kHz mono; 1 s of silence when
none is given) with 0.5 s of tail padding, then prints one line ``ready {json}`` (import, load
and decode seconds, tokens, text) and waits for a line on stdin, so that the parent can read its
memory while the recogniser is loaded. Imports nothing of Lingyin.

    .bench-venv/bin/python bench/sherpa_peer.py MODEL_DIR ENCODER DECODER JOINER [CLIP.f32]
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    folder, encoder, decoder, joiner = sys.argv[1:5]
    clip = sys.argv[5] if len(sys.argv) > 5 else None
    began = time.perf_counter()
    import numpy as np
    import sherpa_onnx

    imported = time.perf_counter()
    recognizer = sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=f"{folder}/tokens.txt", encoder=f"{folder}/{encoder}",
        decoder=f"{folder}/{decoder}", joiner=f"{folder}/{joiner}", num_threads=1,
        decoding_method="greedy_search")
    loaded = time.perf_counter()
    samples = (np.fromfile(clip, dtype=np.float32) if clip
               else np.zeros(16000, dtype=np.float32))
    stream = recognizer.create_stream()
    stream.accept_waveform(16000, samples)
    stream.accept_waveform(16000, np.zeros(8000, dtype=np.float32))
    stream.input_finished()
    while recognizer.is_ready(stream):
        recognizer.decode_stream(stream)
    result = recognizer.get_result_all(stream)
    decoded = time.perf_counter()
    import importlib.metadata as md

    print("ready " + json.dumps({
        "version": md.version("sherpa-onnx"), "import_s": round(imported - began, 4),
        "load_s": round(loaded - imported, 4), "decode_s": round(decoded - loaded, 4),
        "tokens": len(result.tokens), "text": result.text}, ensure_ascii=False), flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
