#!/usr/bin/env bash
# Builds the C/C++ libraries the wasm module links, from Debian's source packages of the same
# versions as the native ones, into build/third_party: libprotobuf-lite (ONNX files) and zlib
# (.npz archives). Each is skipped when already built. With the argument "threads", builds them
# with -pthread into build/third_party-threads, for the threaded module (a module with shared
# memory links only objects compiled for it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/third_party"
flags="-O2"
if [ "${1:-}" = threads ]; then
  out="$root/build/third_party-threads"
  flags="-O2 -pthread"
fi
export NODE_PATH=/usr/share/nodejs
downloads="$root/build/third_party/downloads"  # shared by both variants
mkdir -p "$out/src" "$downloads"
cd "$out/src"

# Unpacks Debian's source of the package that BINARY_PACKAGE was built from; prints its directory.
debian_source() {
  local source_package=$1 binary_package=$2 version upstream
  version=$(dpkg-query -W -f='${Version}' "$binary_package")
  upstream=${version#*:}       # no epoch
  upstream=${upstream%-*}      # no Debian revision
  if ! compgen -G "$downloads/${source_package}_${upstream}.orig.tar.*" >/dev/null; then
    echo "wasm deps: fetching Debian source of $source_package $version" >&2
    (cd "$downloads" && apt-get source --download-only "$source_package=$version" >/dev/null)
  fi
  local tarball
  tarball=$(compgen -G "$downloads/${source_package}_${upstream}.orig.tar.*")
  local dir
  dir=$(tar tf "$tarball" | head -n 1 | cut -d/ -f1)
  rm -rf "$dir"
  tar xf "$tarball"
  echo "$out/src/$dir"
}

protobuf=$out/protobuf-wasm
if [ ! -f "$protobuf/lib/libprotobuf-lite.a" ]; then
  src=$(debian_source protobuf libprotobuf-dev) || exit 1
  rm -rf build-protobuf && mkdir build-protobuf && cd build-protobuf
  emcmake cmake "$src" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_BUILD_LIBPROTOC=OFF \
    -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF >/dev/null
  emmake make -j"$(nproc)" libprotobuf-lite >/dev/null
  mkdir -p "$protobuf/lib"
  cp libprotobuf-lite.a "$protobuf/lib/"
  rm -rf "$protobuf/include" && cp -r "$src/src" "$protobuf/include"
  cd "$out/src"
  echo "wasm deps: built $protobuf/lib/libprotobuf-lite.a"
fi

zlib=$out/zlib-wasm
if [ ! -f "$zlib/lib/libz.a" ]; then
  src=$(debian_source zlib zlib1g-dev) || exit 1
  cd "$src"
  CFLAGS="$flags" emconfigure ./configure --static >/dev/null
  emmake make -j"$(nproc)" libz.a >/dev/null
  mkdir -p "$zlib/lib" "$zlib/include"
  cp libz.a "$zlib/lib/"
  cp zlib.h zconf.h "$zlib/include/"
  cd "$out/src"
  echo "wasm deps: built $zlib/lib/libz.a"
fi
