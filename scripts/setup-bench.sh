#!/usr/bin/env bash
# Installs what `make bench` and `make bench-accuracy` need beyond scripts/setup.sh: Debian's
# PyTorch, which exports the MobileNetV2-shaped benchmark model, and Debian's Fashion-MNIST,
# whose 10000 test images the accuracy benchmark evaluates on. Idempotent.
set -euo pipefail
missing=()
for p in python3-torch python3-onnx dataset-fashion-mnist; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  echo "setup-bench: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi
