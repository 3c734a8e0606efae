#!/usr/bin/env bash
# Prints a folder that makes Debian's emcc (3.1.6, which calls LLVM tools by their -14 names)
# compile and link with LLVM 19, whose clang has the relaxed-SIMD intrinsics: links to
# /usr/lib/llvm-19/bin under both names. Use it as EM_LLVM_ROOT. Debian's clang-19 and lld-19.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
folder="$root/build/llvm19-for-emcc"
mkdir -p "$folder"
for tool in clang clang++ wasm-ld llvm-ar llvm-nm llvm-ranlib llvm-objcopy llvm-dwarfdump opt llc; do
  ln -sfn "/usr/lib/llvm-19/bin/$tool" "$folder/$tool"
  ln -sfn "/usr/lib/llvm-19/bin/$tool" "$folder/$tool-14"
done
echo "$folder"
