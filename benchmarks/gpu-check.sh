#!/usr/bin/env bash
# The GPU check, in one call on a bare NVIDIA machine (no network, no Deno, no
# node_modules): set up the Vulkan loader, run the webgpu-equals-cpu test
# (tests/webgpu_test.ts), run `hc bench --backend webgpu` on small and medium,
# and write one JSON file, $OUT/gpu-check.json. Sized for < 8 minutes.
#
# Two steps:
#   bash benchmarks/gpu-check.sh prepare
#       on a machine with the repo installed (deno install) and apt: writes
#       .gpu-kit/ (the test and the CLI bundled by `deno bundle`, Deno itself
#       xz-compressed; ~45 MB) and .gl/ (the Vulkan/EGL loader .debs).
#   bash benchmarks/gpu-check.sh
#       on the GPU machine, from the repo root, with .gpu-kit and .gl carried
#       along. Where Deno and node_modules exist (a user's machine), it uses
#       them instead of the kit.
#
# On CUDA 12 machines WebGPU (Vulkan) is the GPU path: tfjs-node-gpu 4.22
# needs CUDA 11.2 and cuDNN 8.1 (see docs/performance.md).
set -uo pipefail
cd "$(dirname "$0")/.."
KIT=.gpu-kit

if [ "${1:-}" = prepare ]; then
  set -e
  mkdir -p "$KIT" .gl /tmp/amd64/partial
  deno bundle --platform deno -o "$KIT/webgpu_test.js" tests/webgpu_test.ts
  deno bundle --platform deno -o "$KIT/hc.js" lib/cli/main.ts
  xz -T0 -6 -c "$(readlink -f "$(command -v deno)")" >"$KIT/deno.xz"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -sh "$KIT" .gl
  exit 0
fi

OUT=${OUT:-.}
mkdir -p "$OUT"
LOG=$(mktemp -d)
t0=$(date +%s)

# 1. Vulkan loader (the NVIDIA driver ships the ICD, not always the loader).
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "gpu-check: no libvulkan.so.1 and no .gl/*.deb (run 'gpu-check.sh prepare' first)" >&2
  fi
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
  /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then
    export VK_DRIVER_FILES="$icd"
    break
  fi
done
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# 2. Deno and the code: the repo's own, or the carried kit.
if command -v deno >/dev/null 2>&1 && [ -d node_modules ]; then
  DENO=deno
  HC=(deno run -A lib/cli/main.ts)
  TEST=(deno test -A tests/webgpu_test.ts)
else
  DENO=/tmp/hc-deno
  xz -dc "$KIT/deno.xz" >"$DENO" && chmod +x "$DENO"
  HC=("$DENO" run -A "$KIT/hc.js")
  TEST=("$DENO" test -A "$KIT/webgpu_test.js")
fi

# 3. webgpu equals cpu (CI=true: a missing adapter fails instead of being ignored).
CI=true timeout 240 "${TEST[@]}" >"$LOG/test.txt" 2>&1
test_rc=$?

# 4. Training throughput on webgpu.
for p in small medium; do
  timeout 150 "${HC[@]}" bench --backend webgpu --preset "$p" --steps 5 --warmup 2 \
    >"$LOG/bench-$p.json" 2>"$LOG/bench-$p.err"
  echo $? >"$LOG/bench-$p.rc"
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  >"$LOG/gpu.txt" 2>&1 || true

# 5. One JSON file.
LOG="$LOG" TEST_RC=$test_rc SECONDS_TOTAL=$(($(date +%s) - t0)) OUT_FILE="$OUT/gpu-check.json" \
  "$DENO" eval '
const log = Deno.env.get("LOG");
const read = (f) => { try { return Deno.readTextFileSync(`${log}/${f}`); } catch { return ""; } };
const tail = (s, n = 40) => s.replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n").slice(-n).join("\n");
const bench = {};
for (const p of ["small", "medium"]) {
  const line = read(`bench-${p}.json`).trim().split("\n").at(-1) ?? "";
  let parsed = null;
  try { parsed = JSON.parse(line); } catch { /* failed run */ }
  bench[p] = { rc: Number(read(`bench-${p}.rc`).trim()), result: parsed, stderr_tail: tail(read(`bench-${p}.err`), 15) };
}
const report = {
  gpu: read("gpu.txt").trim(),
  vk_driver_files: Deno.env.get("VK_DRIVER_FILES") ?? null,
  webgpu_test: { passed: Deno.env.get("TEST_RC") === "0", output_tail: tail(read("test.txt")) },
  bench,
  seconds: Number(Deno.env.get("SECONDS_TOTAL")),
};
Deno.writeTextFileSync(Deno.env.get("OUT_FILE"), JSON.stringify(report, null, 2) + "\n");
console.log(JSON.stringify({ webgpu_test_passed: report.webgpu_test.passed, small: bench.small.result?.tokens_per_s ?? null, medium: bench.medium.result?.tokens_per_s ?? null, device: bench.small.result?.device ?? null }));
'
