#!/usr/bin/env bash
# Builds libgiantsharp_mpi.so (GiantSharp's MPI shim, giantsharp_mpi.c) with mpicc into the given output folder.
# Without mpicc (no MPI installed) it does nothing: GiantSharp then runs as one rank, as always.
# Works with any MPI whose mpicc is on PATH (Open MPI, MPICH). Idempotent. Usage: build-mpi-shim.sh OUTPUT_DIR
set -euo pipefail
out=${1:?usage: build-mpi-shim.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v mpicc >/dev/null || exit 0
obj="$here/obj"
mkdir -p "$obj" "$out"
lib="$obj/libgiantsharp_mpi.so"
if ! [ "$lib" -nt "$here/giantsharp_mpi.c" ]; then                     # projects build in parallel: compile aside, then rename
  mpicc -shared -fPIC -O2 -o "$lib.$$" "$here/giantsharp_mpi.c" -ldl
  mv -f "$lib.$$" "$lib"
fi
cp -f "$lib" "$out/libgiantsharp_mpi.so.$$"
mv -f "$out/libgiantsharp_mpi.so.$$" "$out/libgiantsharp_mpi.so"
