/**
 * Lists the tests that test files register, without running them: `deno run -A
 * tests/encoders/torchvision/_list_tests.ts FILE...` replaces `Deno.test` by a recorder, imports
 * each file and prints `[{ name, ignore }]` as JSON (read by tests/encoders/torchvision_coverage_test.ts).
 *
 * @module
 */
const tests: { name: string; ignore: boolean }[] = [];
type TestDefinition = { name: string; ignore?: boolean };
(Deno as unknown as { test: (a: string | TestDefinition) => void }).test = (a) => {
  const def = typeof a === "string" ? { name: a } : a;
  tests.push({ name: def.name, ignore: def.ignore ?? false });
};
for (const file of Deno.args) await import(new URL(file, `file://${Deno.cwd()}/`).href);
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(tests) + "\n"));
