#!/usr/bin/env bash
# Makes TorchSharp 0.107's libLibTorchSharp.so load on systems whose libstdc++ lacks GLIBCXX_3.4.32
# (Debian 12, GCC 12). Acts only on the copy in the given build output folder, never on system files
# or the NuGet cache, and only where needed: a no-op where libstdc++ has that version.
# What it does to the copy: marks its need of GLIBCXX_3.4.32 weak, makes its one reference to a
# symbol of that version (std::ios_base_library_init()) unversioned, and adds a shim library that
# defines the symbol as NEEDED. Idempotent. Usage: fix-libtorchsharp.sh OUTPUT_DIR
set -euo pipefail
out=${1:?usage: fix-libtorchsharp.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
version=GLIBCXX_3.4.32
symbol=_ZSt21ios_base_library_initv
shim=libgiantsharp_iosinit.so

[ "$(uname -s)" = Linux ] || exit 0
libs=$(find "$out" -name libLibTorchSharp.so 2>/dev/null || true)
[ -n "$libs" ] || exit 0
stdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$stdcxx" ] && grep -qa "$version" "$stdcxx"; then exit 0; fi

for tool in g++ gcc patchelf; do
  command -v $tool >/dev/null || { echo "fix-libtorchsharp: '$tool' is needed to patch libLibTorchSharp.so for this libstdc++ (install: apt-get install -y g++ patchelf)" >&2; exit 1; }
done

tools="$here/obj"
mkdir -p "$tools"
[ "$tools/elf_weaken_version" -nt "$here/elf_weaken_version.c" ] || gcc -O1 -o "$tools/elf_weaken_version" "$here/elf_weaken_version.c"
[ "$tools/$shim" -nt "$here/ios_base_library_init_shim.cpp" ] || g++ -shared -fPIC -O1 -o "$tools/$shim" "$here/ios_base_library_init_shim.cpp"

for lib in $libs; do
  dir=$(dirname "$lib")
  cp -f "$tools/$shim" "$dir/$shim"
  if patchelf --print-needed "$lib" | grep -qx "$shim"; then continue; fi
  tmp="$lib.giantsharp-tmp"
  cp -f "$lib" "$tmp"
  "$tools/elf_weaken_version" "$tmp" "$version"
  patchelf --clear-symbol-version "$symbol" "$tmp"
  patchelf --add-needed "$shim" "$tmp"
  mv -f "$tmp" "$lib"
  echo "fix-libtorchsharp: patched $lib for a libstdc++ without $version"
done
