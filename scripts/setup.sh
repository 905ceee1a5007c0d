#!/usr/bin/env bash
# Installs what GiantSharp needs on a fresh Debian 12 machine (as root) and builds it:
# g++ and patchelf (for the libstdc++ fix of TorchSharp's native library, see build/native),
# the real corpora (fortunes-zh, fortunes), the clothing images of the multimodal demo
# (dataset-fashion-mnist), Open MPI (openmpi-bin, libopenmpi-dev: mpirun and the mpicc that builds the MPI shim,
# build/mpi), and the NuGet packages (restore). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v g++ >/dev/null || need+=(g++)
command -v patchelf >/dev/null || need+=(patchelf)
[ -e /usr/share/games/fortunes/tang300 ] || [ -d /usr/share/games/fortunes/zh ] || need+=(fortunes-zh)
[ -e /usr/share/games/fortunes/fortunes ] || need+=(fortunes)
command -v mpirun >/dev/null || need+=(openmpi-bin)
command -v mpicc >/dev/null || need+=(libopenmpi-dev)
[ -e /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: please install as root: apt-get install -y ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet build GiantSharp.slnx -c Release -nologo -v quiet
