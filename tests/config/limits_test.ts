/** Config files past the size limit are refused at once; bytes that are not UTF-8 are said. */
import { equal, match, ok, rejects } from "node:assert/strict";
import { captureWarnings } from "../../lib/_util/guard.ts";
import { ConfigSyntaxError } from "../../lib/config/errors.ts";
import { loadConfig, MAX_CONFIG_BYTES, resolveConfig } from "../../lib/config/load.ts";

const CONFIG = `input_features:
  - { name: a, type: number }
output_features:
  - { name: y, type: binary }
`;

Deno.test("a config over the size limit is refused before parsing, naming the override", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/huge.yaml`;
  await Deno.writeTextFile(path, `${CONFIG}# ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
  const started = performance.now();
  await rejects(() => loadConfig(path), (e: Error) => {
    ok(e instanceof ConfigSyntaxError, String(e));
    match(e.message, /huge\.yaml.*the config is 4(\.0)? MiB, over the limit of 4 MiB/);
    match(e.message, /SONATA_MAX_CONFIG_BYTES/);
    return true;
  });
  ok(performance.now() - started < 5000);
  // Inline text too.
  await rejects(
    () => resolveConfig(`${CONFIG}# ${"x".repeat(MAX_CONFIG_BYTES)}\n`),
    /over the limit/,
  );
  // The override lifts it.
  Deno.env.set("SONATA_MAX_CONFIG_BYTES", String(2 * MAX_CONFIG_BYTES));
  try {
    equal((await loadConfig(path)).input_features[0].name, "a");
  } finally {
    Deno.env.delete("SONATA_MAX_CONFIG_BYTES");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a config with bytes that are not UTF-8 warns once, naming its line", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/latin1.yaml`;
  const enc = new TextEncoder();
  await Deno.writeFile(
    path,
    new Uint8Array([...enc.encode(`${CONFIG}# caf`), 0xe9, ...enc.encode("\n# caf"), 0xe9, 10]),
  );
  const warnings: string[] = [];
  const restore = captureWarnings((m) => void warnings.push(m));
  try {
    await loadConfig(path);
    await loadConfig(new URL(`file://${path}`));
  } finally {
    restore();
  }
  equal(warnings.length, 2, warnings.join("\n"));
  match(warnings[0], /latin1\.yaml" line 5: bytes that are not UTF-8 were replaced by U\+FFFD/);
  await Deno.remove(dir, { recursive: true });
});
