#!/usr/bin/env bash
# One command that sets Lingyin up on a fresh Debian/Ubuntu machine:
#   system packages, a virtualenv in .venv, the project with its dev and bench extras, the default
#   model installed into the user data directory from a local folder; `lingyin models install`
#   also builds the pinyin→Hanzi lexicon in the user cache directory (once, ~30 s).
# Settings (environment): LINGYIN_SHARED (default: ../shared beside the checkout) holds models/;
#   LINGYIN_MODEL_SOURCE overrides the folder the model is installed from;
#   LINGYIN_DATA_DIR overrides the user data directory; PYTHON picks the interpreter (>= 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${LINGYIN_SHARED:-$repo/../shared}
source_dir=${LINGYIN_MODEL_SOURCE:-$shared/models}
python=${PYTHON:-python3}

packages=(libportaudio2 libsndfile1 espeak-ng libime-data-language-model pulseaudio pulseaudio-utils libasound2-plugins dbus
          xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 fonts-wqy-microhei
          strace xdotool x11-xserver-utils trayer at-spi2-core)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,bench]"

for model in zh-pinyin-zipformer-3.3M silero-vad; do
  if [ -d "$source_dir" ]; then
    .venv/bin/lingyin models install --model "$model" --from "$source_dir"
  else
    echo "setup: no local model folder at $source_dir; downloading $model instead"
    .venv/bin/lingyin models install --model "$model"
  fi
done
echo "setup: done. Run the tests with: .venv/bin/python -m pytest"
