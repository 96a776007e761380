#!/usr/bin/env bash
# W1 and W3 on the webgpu engine of a machine with an NVIDIA GPU, where neither Deno nor the npm
# packages are installed and nothing can be downloaded. Two steps:
#
#   bench/device_webgpu.sh prepare   # here, in the repository root (needs deno, gzip, network
#                                    # only for packages not yet cached): builds .device-webgpu/
#   bench/device_webgpu.sh run       # there, in the repository root, with .device-webgpu/ carried
#
# `prepare` bundles bench/main.ts and tests/compute/_webgpu_train.ts with their npm packages into
# two JavaScript files (`deno bundle`; sharp, a native addon, is left out: W3's BMP images are
# decoded without it, and any other image format fails saying so) and packs this machine's deno
# binary (gzip: about 45 MB in all, which with the repository's 10 MB stays under the device
# tool's 64 MiB). `.device-webgpu/`
# (ignored by .gitignore) is named in the device run's `carry`.
#
# `run` unpacks deno, reports the GPU, the Vulkan loader and ICD files and the WebGPU adapter Deno
# finds (name, isFallbackAdapter, limits), checks that Sonata's trainer on webgpu matches the cpu
# engine (tests/compute/_webgpu_train.ts), then prints the JSON lines of
# `bench/main.ts w1 w3 --engine webgpu` (and, with COMPARE_NATIVE=1, of `--engine native` on the
# same machine). Sizes: W1_ROWS, W1_EPOCHS, W3_ROWS (defaults: the workloads' own, 100,000 rows ×
# 3 epochs and 10,000 images × 1 epoch). Everything printed is also written to $OUT when set.
# If the only adapter is a software one (llvmpipe), WebGPU did not reach the GPU: the report says
# which Vulkan pieces are missing; W1/W3 are then skipped unless FORCE=1.
set -u -o pipefail
cd "$(dirname "$0")/.."
DIR=.device-webgpu

prepare() {
  set -e
  mkdir -p "$DIR"
  deno bundle --quiet --platform deno --external npm:sharp@0.35.5 -o "$DIR/bench.js" bench/main.ts
  deno bundle --quiet --platform deno --external npm:sharp@0.35.5 -o "$DIR/train.js" \
    tests/compute/_webgpu_train.ts
  cat >"$DIR/sharp_absent.js" <<'EOF'
// The device bundle carries no sharp (a native addon): BMP images are decoded without it.
export default function sharp() {
  throw new Error(
    "sharp is not carried in the device bench bundle: only BMP images can be decoded there",
  );
}
EOF
  printf '{ "imports": { "npm:sharp@0.35.5": "./sharp_absent.js" } }\n' >"$DIR/deno.json"
  gzip -6 -f "$DIR/bench.js" "$DIR/train.js"
  gzip -6 -c "$(command -v deno)" >"$DIR/deno.gz"
  deno --version | head -1 >"$DIR/deno.version"
  du -sh "$DIR"
}

run() {
  local out="${OUT:-/tmp/device-webgpu-out}"
  mkdir -p "$out"
  exec > >(tee "$out/device_webgpu.log") 2>&1
  [ -f "$DIR/deno.gz" ] || { echo "no $DIR/deno.gz: run 'bench/device_webgpu.sh prepare' and carry $DIR"; exit 2; }
  local deno=/tmp/device-webgpu-deno
  gzip -dc "$DIR/deno.gz" >"$deno" && chmod +x "$deno"
  # The bundles next to their import map (deno.json), outside the carried folder.
  local work=/tmp/device-webgpu-bundle
  mkdir -p "$work"
  cp "$DIR/deno.json" "$DIR/sharp_absent.js" "$work/"
  gzip -dc "$DIR/bench.js.gz" >"$work/bench.js"
  gzip -dc "$DIR/train.js.gz" >"$work/train.js"
  export DENO_DIR=/tmp/device-webgpu-cache DENO_NO_UPDATE_CHECK=1
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
  # As Sonata sets it on Linux (lib/compute/mod.ts): wgpu's Vulkan backend only, no libEGL.
  export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"
  echo "== machine: $(uname -srm), $(nproc) cores, $("$deno" --version | head -1)"
  nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not found"
  # The Vulkan loader and the NVIDIA ICD: wgpu (Deno's WebGPU) needs both to reach the GPU.
  if ! ldconfig -p | grep -q libvulkan.so.1; then
    if ls .gl/*.deb >/dev/null 2>&1; then
      for f in .gl/*.deb; do dpkg -x "$f" /; done
      ldconfig
    fi
  fi
  echo "vulkan loader: $(ldconfig -p | grep -o 'libvulkan.so.1 .*' | head -1 || true)"
  for icd in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    [ -d "$icd" ] && echo "ICD files in $icd: $(ls "$icd" | tr '\n' ' ')"
  done
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  echo "== WebGPU adapter"
  local adapter
  adapter=$("$deno" eval '
    const a = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
    const i = a?.info;
    console.log(JSON.stringify(a ? { vendor: i.vendor, architecture: i.architecture,
      device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter,
      limits: { maxBufferSize: a.limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: a.limits.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize } } : null));' 2>&1)
  echo "$adapter" | tee "$out/adapter.json"
  if ! echo "$adapter" | grep -qi nvidia && [ "${FORCE:-0}" != 1 ]; then
    echo "WebGPU did not reach the NVIDIA GPU (no adapter, or only a software one): W1/W3 on webgpu skipped (FORCE=1 runs them anyway)."
    echo "Needed: the Vulkan loader (libvulkan.so.1) and NVIDIA's Vulkan ICD (nvidia_icd.json, libGLX_nvidia.so.0), visible to the process."
    exit 3
  fi
  local run=("$deno" run -A --config "$work/deno.json")
  echo "== Sonata on webgpu against cpu (tests/compute/_webgpu_train.ts)"
  SONATA_COMPUTE=webgpu "${run[@]}" "$work/train.js" tabular image | tail -1 >"$out/train_webgpu.json"
  SONATA_COMPUTE=cpu "${run[@]}" "$work/train.js" tabular image | tail -1 >"$out/train_cpu.json"
  "$deno" eval --ext=ts '
    const [g, c] = ["webgpu", "cpu"].map((e) => JSON.parse(Deno.readTextFileSync(`'"$out"'/train_${e}.json`)));
    let worst = 0;
    const walk = (a: unknown, b: unknown) => {
      if (typeof a === "number" && typeof b === "number") worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(b)));
      else if (a && b && typeof a === "object") for (const k of Object.keys(b as object)) walk((a as any)[k], (b as any)[k]);
    };
    for (const m of ["tabular", "image"]) {
      for (const k of ["statistics", "predictions", "evaluation"]) walk(g[m][k], c[m][k]);
    }
    console.log(`engine ${g.engine} (backend ${g.backend}): largest relative difference from cpu ${worst.toExponential(2)} (tolerance 1e-3)`);'
  local sizes=()
  [ -n "${W1_ROWS:-}" ] && sizes+=(--w1-rows "$W1_ROWS")
  [ -n "${W1_EPOCHS:-}" ] && sizes+=(--w1-epochs "$W1_EPOCHS")
  [ -n "${W3_ROWS:-}" ] && sizes+=(--w3-rows "$W3_ROWS")
  echo "== W1, W3 on webgpu"
  "${run[@]}" "$work/bench.js" w1 w3 --engine webgpu "${sizes[@]}" | tee "$out/bench_webgpu.jsonl"
  if [ "${COMPARE_NATIVE:-0}" = 1 ]; then
    echo "== W1, W3 on native (the same machine's CPUs)"
    "${run[@]}" "$work/bench.js" w1 w3 --engine native "${sizes[@]}" | tee "$out/bench_native.jsonl"
  fi
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bench/device_webgpu.sh prepare|run"; exit 2 ;;
esac
