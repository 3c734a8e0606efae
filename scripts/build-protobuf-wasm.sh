#!/usr/bin/env bash
# Builds libprotobuf-lite for wasm from Debian's protobuf source package (same version as
# the native libprotobuf and protoc), into build/third_party/protobuf-wasm. Skips if present.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/third_party"
prefix="$out/protobuf-wasm"
[ -f "$prefix/lib/libprotobuf-lite.a" ] && exit 0
export NODE_PATH=/usr/share/nodejs

version=$(dpkg-query -W -f='${Version}' libprotobuf-dev | sed 's/-.*//')
mkdir -p "$out/src"
cd "$out/src"
tarball="protobuf_${version}.orig.tar.gz"
if [ ! -f "$tarball" ]; then
  echo "protobuf-wasm: fetching Debian source of protobuf $version"
  apt-get source --download-only "protobuf=$(dpkg-query -W -f='${Version}' libprotobuf-dev)" >/dev/null
fi
rm -rf "protobuf-$version"
tar xzf "$tarball"
mkdir -p build && cd build
emcmake cmake "../protobuf-$version" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
  -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF >/dev/null
emmake make -j"$(nproc)" libprotobuf-lite >/dev/null
mkdir -p "$prefix/lib"
cp libprotobuf-lite.a "$prefix/lib/"
cp -r "../protobuf-$version/src" "$prefix/include"
echo "protobuf-wasm: built $prefix/lib/libprotobuf-lite.a"
