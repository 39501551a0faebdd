#!/usr/bin/env bash
# Build bench/sherpa_c/sherpa_ready (the C peer of bench/bench_footprint.py) with gcc against the
# C API that the sherpa-onnx wheel ships in the given virtualenv (bench/sherpa_setup.sh makes it):
# sherpa_onnx/include/sherpa-onnx/c-api/c-api.h and sherpa_onnx/lib/libsherpa-onnx-c-api.so
# (which loads libonnxruntime.so from the same folder). The binary goes to bench/out/ (ignored
# by git), with an rpath to that lib folder.
#
#     bash bench/sherpa_c/build.sh [VENV]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${1:-${LINGYIN_BENCH_VENV:-$root/.bench-venv}}"
package="$("$venv/bin/python" -c 'import os, sherpa_onnx; print(os.path.dirname(sherpa_onnx.__file__))')"
include="$package/include"
lib="$package/lib"
for need in "$include/sherpa-onnx/c-api/c-api.h" "$lib/libsherpa-onnx-c-api.so"; do
    if [ ! -e "$need" ]; then
        echo "sherpa_c/build.sh: $need is missing: this sherpa-onnx wheel ships no C API" >&2
        exit 1
    fi
done
mkdir -p "$root/bench/out"
gcc -O2 -Wall -o "$root/bench/out/sherpa_ready" "$here/sherpa_ready.c" -I"$include" \
    -L"$lib" -lsherpa-onnx-c-api -Wl,-rpath,"$lib"
echo "built $root/bench/out/sherpa_ready (C API from $lib)"
