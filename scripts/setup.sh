#!/usr/bin/env bash
# Installs every Debian and npm dependency qplay needs. Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  emscripten protobuf-compiler libprotobuf-dev libonnx-dev libsimde-dev
  libgtest-dev nlohmann-json3-dev zlib1g-dev cmake make g++ chromium libonnx-testdata dpkg-dev
  python3-torch python3-torchvision python3-onnx  # tests/zoo builds torchvision architectures, exports and quantizes them
  clang-14 libclang-rt-14-dev        # make test-asan and make fuzz: ASan, UBSan and libFuzzer
  clang-19 lld-19                    # the relaxed-SIMD module (scripts/llvm19-for-emcc.sh)
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" = 0 ] || sudo_cmd=(sudo)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

# protobuf-lite and zlib for wasm are built from Debian's source packages of the native versions.
src_list=/etc/apt/sources.list.d/qplay-deb-src.sources
if [ ! -f "$src_list" ]; then
  echo "setup: enabling Debian source packages (for the wasm builds of protobuf and zlib)"
  "${sudo_cmd[@]}" tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  "${sudo_cmd[@]}" apt-get update -q
fi

if [ ! -f package-lock.json ] || [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # onnxruntime's post-install downloads from outside; the CPU binaries ship in the package.
  npm install --ignore-scripts --no-audit --no-fund
fi
