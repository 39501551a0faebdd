"""The streaming Zipformer2 transducer on onnxruntime: encoder with cached states, a stateless
decoder (cached per token history) and the joiner. Sessions are created once and shared by every
stream; per-utterance state lives in EncoderState, owned by the stream."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from asr import settings
from asr.errors import ModelError
from asr.manifest import Manifest, verify_dir
from asr.tokens import TokenTable

FloatArray = npt.NDArray[np.float32]
EncoderState = dict[str, npt.NDArray[Any]]
DECODER_CACHE_LIMIT = 8192  # rows of 320 floats: at most ~10 MB; least recently used go first


@dataclass(frozen=True)
class ModelPaths:
    encoder: Path
    decoder: Path
    joiner: Path
    tokens: Path

    @staticmethod
    def from_dir(directory: Path, manifest: Manifest) -> ModelPaths:
        """The model's files in ``directory``, checked first: sizes and sha256 (once per process
        for unchanged files), so a corrupt file is reported with the fix, never used."""
        verify_dir(directory, manifest, checksums=True, reuse=True)
        roles = manifest.roles
        names = ("encoder", "decoder", "joiner", "tokens")
        return ModelPaths(*(directory / roles[name] for name in names))


def onnx_session(path: Path, threads: int = 1,
                 reinstall: str = "lingyin models install") -> Any:
    """An onnxruntime CPU session; a file onnxruntime refuses is reported with the fix."""
    # onnxruntime 1.29+ phones home from a bare import unless told not to (pyproject.toml pins
    # 1.28.0, which has no telemetry; app/cli.py sets this too): library use is covered as well
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load model file {path}: {exc}; the file is corrupt, "
                         f"reinstall it with `{reinstall}`") from exc


def _dim(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 1


class TransducerModel:
    """Load with ``TransducerModel.load()``; one instance serves any number of streams."""

    def __init__(self, paths: ModelPaths, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.paths = paths
        self._encoder = onnx_session(paths.encoder, threads)
        self._decoder = onnx_session(paths.decoder, threads)
        self._joiner = onnx_session(paths.joiner, threads)
        meta = self._encoder.get_modelmeta().custom_metadata_map
        try:
            self.window = int(meta["T"])
            self.shift = int(meta["decode_chunk_len"])
        except (KeyError, ValueError) as exc:
            raise ModelError(f"{paths.encoder}: metadata T/decode_chunk_len missing") from exc
        self.vocab_size = int(self._joiner.get_outputs()[0].shape[-1])
        self.context_size = int(self._decoder.get_inputs()[0].shape[-1])
        self.tokens = TokenTable.load(paths.tokens, self.vocab_size)
        self._state_inputs = [i for i in self._encoder.get_inputs() if i.name != "x"]
        self._state_outputs = [o.name for o in self._encoder.get_outputs()][1:]
        self._decoder_cache: OrderedDict[tuple[int, ...], FloatArray] = OrderedDict()
        self._decoder_lock = threading.Lock()  # streams on other threads share the cache

    @staticmethod
    def load(model_dir: Path | None = None, threads: int = 1,
             name: str = settings.DEFAULT_MODEL) -> TransducerModel:
        manifest = Manifest.load(name)
        directory = model_dir if model_dir is not None else settings.model_dir(name)
        return TransducerModel(ModelPaths.from_dir(directory, manifest), threads)

    @property
    def frame_seconds(self) -> float:
        """Seconds per encoder output frame (4 fbank frames of 10 ms after subsampling)."""
        return 0.01 * self.shift / self.frames_per_chunk

    @property
    def frames_per_chunk(self) -> int:
        return int(self._encoder.get_outputs()[0].shape[1])

    def initial_state(self) -> EncoderState:
        state: EncoderState = {}
        for spec in self._state_inputs:
            dtype = np.int64 if "int64" in spec.type else np.float32
            state[spec.name] = np.zeros([_dim(d) for d in spec.shape], dtype=dtype)
        return state

    def encode(self, features: FloatArray, state: EncoderState) -> tuple[FloatArray, EncoderState]:
        """One chunk: ``window`` fbank frames → (frames_per_chunk, dim) encoder frames."""
        feed = dict(state)
        feed["x"] = features[np.newaxis]
        outputs = self._encoder.run(None, feed)
        new_state = {spec.name: outputs[i + 1] for i, spec in enumerate(self._state_inputs)}
        return np.asarray(outputs[0][0]), new_state

    def decoder_out(self, contexts: list[tuple[int, ...]]) -> FloatArray:
        """Prediction-network outputs for token histories, one row each.

        Rows are cached (least recently used evicted past ``DECODER_CACHE_LIMIT``). The rows of
        this call are collected first and the cache is trimmed afterwards, so a batch never loses
        a row it still needs, however long the session or large the beam.
        """
        cache = self._decoder_cache
        rows: dict[tuple[int, ...], FloatArray] = {}
        with self._decoder_lock:
            for context in dict.fromkeys(contexts):
                row = cache.get(context)
                if row is not None:
                    cache.move_to_end(context)
                    rows[context] = row
        missing = [c for c in dict.fromkeys(contexts) if c not in rows]
        if missing:
            computed = self._decoder.run(None, {"y": np.array(missing, dtype=np.int64)})[0]
            fresh = dict(zip(missing, computed, strict=True))
            rows.update(fresh)
            with self._decoder_lock:
                cache.update(fresh)
                while len(cache) > DECODER_CACHE_LIMIT:
                    cache.popitem(last=False)
        return np.stack([rows[c] for c in contexts])

    def join(self, encoder_rows: FloatArray, decoder_rows: FloatArray) -> FloatArray:
        """Log-softmax over the whole vocabulary, one row per (encoder, decoder) pair."""
        logits = self._joiner.run(None, {"encoder_out": encoder_rows,
                                         "decoder_out": decoder_rows})[0]
        return log_softmax(np.asarray(logits, dtype=np.float32))


def log_softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result
