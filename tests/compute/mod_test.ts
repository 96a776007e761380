import assert from "node:assert/strict";
import {
  engineInfo,
  ENGINES,
  EngineUnavailableError,
  listEngines,
  ready,
} from "../../lib/compute/mod.ts";
import { NO_BLAS } from "./_compare.ts";

const MOD = new URL("../../lib/compute/mod.ts", import.meta.url).href;

/** Runs a script in a fresh Deno process (ready() chooses once per process). */
async function runScript(
  code: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "-"],
    env: { SONATA_COMPUTE: "", SONATA_BLAS: "", SONATA_BLAS_THREADS: "", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: new URL("../../", import.meta.url).pathname,
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(code));
  await writer.close();
  const result = await out.output();
  return {
    code: result.code,
    stdout: new TextDecoder().decode(result.stdout),
    stderr: new TextDecoder().decode(result.stderr),
  };
}

Deno.test("ready() with an unavailable explicit engine throws EngineUnavailableError saying how to install", async () => {
  const start = performance.now();
  await assert.rejects(() => ready({ compute: "tensorflow", quiet: true }), (error: unknown) => {
    assert.ok(error instanceof EngineUnavailableError);
    assert.equal(error.engine, "tensorflow");
    assert.match(
      error.message,
      /^Cannot use compute engine "tensorflow": @tensorflow\/tfjs-node is not installed: /,
    );
    assert.match(error.message, /deno install --allow-scripts=npm:@tensorflow\/tfjs-node/);
    assert.doesNotMatch(error.message, /\.$/);
    return true;
  });
  await assert.rejects(
    () => ready({ compute: "tensorflow-gpu", quiet: true }),
    (error: unknown) => {
      assert.ok(error instanceof EngineUnavailableError);
      assert.match(error.message, /CUDA 11\.2 and cuDNN 8\.1/);
      assert.match(error.message, /deno install --allow-scripts=npm:@tensorflow\/tfjs-node-gpu/);
      return true;
    },
  );
  // Checking never downloads the package, so it answers at once.
  assert.ok(performance.now() - start < 5000);
  // A failed attempt chooses nothing.
  assert.equal(engineInfo(), undefined);
});

Deno.test("ready() rejects an unknown engine name", async () => {
  await assert.rejects(
    () => ready({ compute: "tpu" as "cpu", quiet: true }),
    /Cannot choose a compute engine from option compute: expected one of "auto", "tensorflow-gpu"/,
  );
});

Deno.test("listEngines() reports every engine in auto order", async () => {
  const rows = await listEngines();
  assert.deepEqual(rows.map((r) => r.engine), [...ENGINES]);
  const byName = Object.fromEntries(rows.map((r) => [r.engine, r]));
  assert.equal(byName.cpu.available, true);
  assert.equal(byName.tensorflow.available, false);
  assert.match(byName.tensorflow.detail, /not installed/);
  assert.equal(byName.native.available, true);
  if (NO_BLAS === undefined) assert.match(byName.native.detail, /^matrix products: BLAS /);
  else {
    assert.match(
      byName.native.detail,
      /^matrix products: portable WebAssembly SIMD sgemm \(.*(SONATA_BLAS=none|no system BLAS opens)/,
    );
  }
  assert.match(byName.wasm.detail, /auto skips it/);
  for (const row of rows) assert.ok(row.detail.length > 0);
});

Deno.test("ready() chooses once per process, reports one line, and refuses a switch", async () => {
  const { code, stdout, stderr } = await runScript(`
    import { ready, engineInfo, tf } from "${MOD}";
    const a = await ready({ compute: "cpu" });
    const b = await ready();
    const c = await ready({ compute: "auto", quiet: true });
    let switched = "";
    try { await ready({ compute: "wasm" }); } catch (e) { switched = e.message; }
    console.log(JSON.stringify({ a, same: a === b && b === c && engineInfo() === a, backend: tf.getBackend(), switched }));
  `);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.a.engine, "cpu");
  assert.equal(result.a.backend, "cpu");
  assert.equal(result.backend, "cpu");
  assert.equal(result.same, true);
  assert.match(
    result.switched,
    /^Cannot switch the compute engine to "wasm": "cpu" was already chosen/,
  );
  const lines = stderr.split("\n").filter((l) => l.startsWith("sonata: compute engine"));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /"cpu".*asked for by option compute/);
  assert.doesNotMatch(stderr, /tfjs-node for more details/);
});

Deno.test("SONATA_COMPUTE overrides auto and an absent option", async () => {
  const { code, stdout, stderr } = await runScript(
    `import { ready } from "${MOD}"; console.log(JSON.stringify(await ready({ quiet: true })));`,
    { SONATA_COMPUTE: "cpu" },
  );
  assert.equal(code, 0, stderr);
  const info = JSON.parse(stdout);
  assert.equal(info.engine, "cpu");
  assert.match(info.reason, /SONATA_COMPUTE=cpu/);
});

Deno.test("SONATA_COMPUTE with an unknown name is an error", async () => {
  const { code, stderr } = await runScript(
    `import { ready } from "${MOD}"; await ready({ quiet: true });`,
    {
      SONATA_COMPUTE: "gpu",
    },
  );
  assert.notEqual(code, 0);
  assert.match(stderr, /Cannot choose a compute engine from SONATA_COMPUTE: expected one of/);
});

Deno.test({
  name: "auto picks native when a BLAS opens, and reports it",
  ignore: NO_BLAS !== undefined,
  async fn() {
    const { code, stdout, stderr } = await runScript(
      `import { ready } from "${MOD}"; console.log(JSON.stringify(await ready({ threads: 1 })));`,
    );
    assert.equal(code, 0, stderr);
    const info = JSON.parse(stdout);
    assert.equal(info.engine, "native");
    assert.equal(info.backend, "native");
    assert.equal(info.blas.threads, 1);
    assert.match(info.reason, /^auto: first available/);
    assert.match(
      info.reason,
      /skipped tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed/,
    );
    assert.match(
      stderr,
      /sonata: compute engine "native" \(tfjs backend "native", BLAS .* with 1 threads\)/,
    );
  },
});

Deno.test("native with SONATA_BLAS naming a missing library says so and falls back to the portable sgemm", async () => {
  const { code, stdout, stderr } = await runScript(
    `import { ready } from "${MOD}";
     const info = await ready({ compute: "native" });
     console.log(JSON.stringify(info));`,
    { SONATA_BLAS: "/nonexistent/libblas.so" },
  );
  assert.equal(code, 0, stderr);
  const info = JSON.parse(stdout);
  assert.equal(info.engine, "native");
  assert.equal(info.blas, undefined);
  assert.match(
    info.matmul,
    /^portable WebAssembly SIMD sgemm \(the BLAS "\/nonexistent\/libblas\.so" does not open: /,
  );
  assert.match(
    stderr,
    /sonata: compute engine "native" \(tfjs backend "native", portable WebAssembly SIMD sgemm \(the BLAS "\/nonexistent\/libblas\.so" does not open/,
  );
});

Deno.test("auto never chooses wasm: without a system BLAS it picks native on the portable sgemm", async () => {
  const { code, stdout, stderr } = await runScript(
    `import { ready } from "${MOD}"; console.log(JSON.stringify(await ready({ quiet: true })));`,
    { SONATA_BLAS: "none" },
  );
  assert.equal(code, 0, stderr);
  const info = JSON.parse(stdout);
  assert.equal(info.engine, "native");
  assert.match(info.matmul, /^portable WebAssembly SIMD sgemm \(system BLAS disabled/);
  assert.doesNotMatch(info.reason, /wasm/);
});

Deno.test("listEngines() (sonata check_install) probes WebGPU without the drivers' XDG_RUNTIME_DIR lines", async () => {
  const { code, stdout, stderr } = await runScript(
    `import { listEngines } from "${MOD}"; console.log(JSON.stringify(await listEngines()));`,
    { XDG_RUNTIME_DIR: "" },
  );
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/);
  const rows = JSON.parse(stdout) as Array<{ engine: string; detail: string }>;
  assert.ok(rows.some((r) => r.engine === "webgpu" && r.detail.length > 0));
});

Deno.test({
  name:
    "a WebGPU probe on Linux uses wgpu's Vulkan backend only: libEGL (the abort at exit) is never loaded; a user's DENO_WEBGPU_BACKEND is kept",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const script = `import { listEngines } from "${MOD}";
      const rows = await listEngines();
      const maps = Deno.readTextFileSync("/proc/self/maps");
      console.log(JSON.stringify({
        webgpu: rows.find((r) => r.engine === "webgpu")?.detail,
        egl: maps.includes("libEGL"),
        backend: Deno.env.get("DENO_WEBGPU_BACKEND"),
      }));`;
    const plain = await runScript(script, { XDG_RUNTIME_DIR: "", DENO_WEBGPU_BACKEND: "" });
    assert.equal(plain.code, 0, plain.stderr);
    const got = JSON.parse(plain.stdout);
    assert.equal(got.backend, "vulkan");
    assert.equal(got.egl, false, `libEGL was loaded (webgpu: ${got.webgpu})`);
    const user = await runScript(script, { DENO_WEBGPU_BACKEND: "gl" });
    assert.equal(user.code, 0, user.stderr);
    assert.equal(JSON.parse(user.stdout).backend, "gl");
  },
});

Deno.test("choosing an engine probes no WebGPU adapter unless it could be chosen, and prints no driver noise", async () => {
  const { code, stdout, stderr } = await runScript(
    `import { ready } from "${MOD}"; const info = await ready({ quiet: true }); console.log(JSON.stringify(info));`,
    { XDG_RUNTIME_DIR: "" },
  );
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /XDG_RUNTIME_DIR/);
  const info = JSON.parse(stdout);
  if (!/webgpu: .*not probed/.test(info.reason)) {
    // A machine with a GPU device node probes it; the reason then names the adapter found.
    assert.match(info.reason, /webgpu: /);
  }
});
