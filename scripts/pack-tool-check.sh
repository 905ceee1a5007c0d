#!/usr/bin/env bash
# Packs the giant CLI as a .NET tool, installs it into a temporary tool path, and runs it from an empty folder as a user
# would: giant info m6-10t (a preset that travels in the package), then prepare, a few Pseudo-to-Real training steps and an
# export on a tiny corpus. Checks that the package carries the patched libLibTorchSharp.so (and its shim, where this
# libstdc++ needed the fix), the MPI shim where mpicc exists, and that its size is sane. Removes everything it made.
# Usage: bash scripts/pack-tool-check.sh [ARTIFACTS_DIR]   (default: a temporary folder; ./artifacts keeps the packages)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/giant-tool-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=${1:-$work/artifacts}
start=$SECONDS
fail() { echo "pack-tool-check: $*" >&2; exit 1; }

dotnet pack "$repo/src/GiantSharp.Cli" -c Release -o "$artifacts" -nologo -v q >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; fail "dotnet pack failed"; }
pkg=$(ls "$artifacts"/GiantSharp.Cli.linux-x64.*.nupkg | tail -1)
mib=$(( $(stat -c %s "$pkg") / 1048576 ))
echo "packed $(basename "$pkg"): $mib MiB ($((SECONDS - start)) s)"
# libtorch_cpu.so alone is ~440 MiB, ~125 MiB compressed; more than 200 MiB means something else came along (other RIDs' libtorch).
[ "$mib" -le 200 ] || fail "$pkg is $mib MiB (expected <= 200: only linux-x64 native libraries)"

dotnet tool install GiantSharp.Cli --add-source "$artifacts" --tool-path "$work/tools" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dotnet tool install failed"; }
lib=$(find "$work/tools/.store" -name libLibTorchSharp.so | head -1)
dir=$(dirname "$lib")
[ -f "$dir/configs/m6-10t.json" ] || fail "the presets (configs/*.json) are not in the package"
built=src/GiantSharp.Cli/bin/Release/net10.0/runtimes/linux-x64/native
if [ -f "$built/libgiantsharp_iosinit.so" ]; then
  [ -f "$dir/libgiantsharp_iosinit.so" ] || fail "the libstdc++ shim (build/native) is not in the package"
  cmp -s "$lib" "$HOME/.nuget/packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so" && fail "the package holds the unpatched libLibTorchSharp.so"
fi
if command -v mpicc >/dev/null; then [ -f "$dir/libgiantsharp_mpi.so" ] || fail "the MPI shim (build/mpi) is not in the package"; fi
echo "installed into $work/tools ($((SECONDS - start)) s)"

run=$work/elsewhere
mkdir -p "$run" && cd "$run"
giant=$work/tools/giant
"$giant" info m6-10t >info.txt || fail "giant info m6-10t failed"
grep -q "pseudo" info.txt || fail "giant info m6-10t printed no pseudo/real figures"
for i in $(seq 1 400); do echo "line $i: the quick brown fox jumps over the lazy dog $((i * 7 % 13))"; [ $((i % 4)) -eq 0 ] && echo "%"; done >corpus.txt
"$giant" prepare corpus.txt --out corpus --tokenizer byte >/dev/null
cat >run.json <<'JSON'
{ "data": { "dir": "corpus" }, "out_dir": "run",
  "model": { "n_layer": 2, "n_head": 2, "d_model": 32, "d_ff": 64, "seq_len": 32 },
  "stages": [ { "name": "pseudo", "sharing": "all", "steps": 3, "micro_batch": 2, "global_batch": 2 },
              { "name": "real", "sharing": "none", "steps": 3, "micro_batch": 2, "global_batch": 2 } ],
  "eval": { "every": 0, "sequences": 2 } }
JSON
"$giant" train run.json >train.txt || fail "giant train failed: $(tail -3 train.txt)"
grep -q "done at step 6" train.txt || fail "training did not reach step 6: $(tail -3 train.txt)"
"$giant" export run --format hf --out hf >/dev/null && [ -f hf/model.safetensors ] || fail "giant export failed"
echo "giant info, prepare, train (6 steps), export ran from the installed tool in $run"
echo "pack-tool-check: ok in $((SECONDS - start)) s"
