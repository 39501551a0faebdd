#!/usr/bin/env bash
# The peer of bench/bench_footprint.py: sherpa-onnx from PyPI in a virtualenv of its own (never
# Lingyin's .venv), so that its memory and load time are measured without Lingyin's packages.
#
#     bash bench/sherpa_setup.sh            # creates .bench-venv beside the checkout's .venv
#
# Settings: LINGYIN_BENCH_VENV (default: <checkout>/.bench-venv), PYTHON (default python3),
# SHERPA_ONNX_VERSION (default 2.0.1: the version BENCHMARKS.md's recogniser rows used).
# The wheel ships the C API too (sherpa_onnx/lib/libsherpa-onnx-c-api.so and
# sherpa_onnx/include/sherpa-onnx/c-api/c-api.h): bench/sherpa_c/build.sh builds the C runner
# against them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LINGYIN_BENCH_VENV:-$here/.bench-venv}"
python="${PYTHON:-python3}"
version="${SHERPA_ONNX_VERSION:-2.0.1}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# keep the venv out of git without touching the repository's .gitignore
printf '*\n' > "$venv/.gitignore"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "sherpa-onnx==$version" "numpy>=1.24"
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md
import sherpa_onnx  # noqa: F401
print("sherpa-onnx", md.version("sherpa-onnx"), "numpy", md.version("numpy"))
EOF
bash "$here/bench/sherpa_c/build.sh" "$venv"
