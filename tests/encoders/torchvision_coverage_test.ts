// Every variant of every torchvision family listed in issue 11 has a numeric test against
// torchvision (its fixture, random formula weights, 1e-4 relative): a small variant of each
// family in the normal lane, the others in the slow lane (SONATA_SLOW=1). The family test
// files' registered tests are listed without running them
// (tests/encoders/torchvision/_list_tests.ts).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FAMILIES } from "../../lib/encoders/torchvision/mod.ts";

/** Issue 11's families and variants (Ludwig 0.7's names). */
const ISSUE_11: Record<string, readonly string[]> = {
  alexnet: ["base"],
  convnext: ["tiny", "small", "base", "large"],
  densenet: ["121", "161", "169", "201"],
  efficientnet: ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "v2_s", "v2_m", "v2_l"],
  googlenet: ["base"],
  inceptionv3: ["base"],
  maxvit: ["t"],
  mnasnet: ["0_5", "0_75", "1_0", "1_3"],
  mobilenetv2: ["base"],
  mobilenetv3: ["small", "large"],
  regnet: [
    ...["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf"].map((v) => `x_${v}`),
    ...["400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf"].map((v) => `y_${v}`),
  ],
  resnet: ["18", "34", "50", "101", "152"],
  resnext: ["50_32x4d", "101_32x8d", "101_64x4d"],
  shufflenet_v2: ["x0_5", "x1_0", "x1_5", "x2_0"],
  squeezenet: ["1_0", "1_1"],
  swin_transformer: ["t", "s", "b"],
  vit: ["b_16", "b_32", "l_16", "l_32", "h_14"],
  vgg: ["11", "13", "16", "19", "11_bn", "13_bn", "16_bn", "19_bn"],
  wide_resnet: ["50_2", "101_2"],
};

const FILES = [
  "convnext",
  "densenet",
  "efficientnet",
  "googlenet",
  "maxvit",
  "mnasnet",
  "mobilenet",
  "regnet",
  "resnet",
  "shufflenet",
  "squeezenet",
  "swin",
  "vgg",
  "vit",
].map((f) => `tests/encoders/torchvision/${f}_test.ts`);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("torchvision coverage: the family tables have exactly issue 11's variants", () => {
  assert.deepEqual(Object.keys(FAMILIES).sort(), Object.keys(ISSUE_11).sort());
  for (const [type, variants] of Object.entries(ISSUE_11)) {
    assert.deepEqual(Object.keys(FAMILIES[type].variants).sort(), [...variants].sort(), type);
  }
});

Deno.test("torchvision coverage: every variant of every family has a numeric test against torchvision", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const lister = fileURLToPath(new URL("./torchvision/_list_tests.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", lister, ...FILES],
    cwd: root,
    env: { SONATA_SLOW: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const tests = JSON.parse(lines[lines.length - 1]) as { name: string; ignore: boolean }[];
  const missing: string[] = [];
  const slow: string[] = [];
  for (const [type, variants] of Object.entries(ISSUE_11)) {
    for (const v of variants) {
      const pattern = new RegExp(
        `(^|\\s)${escape(type)} ${escape(v)}( \\([^)]*\\))? equals torchvision`,
      );
      const found = tests.filter((t) => pattern.test(t.name));
      if (found.length === 0) missing.push(`${type} ${v}`);
      else if (found.every((t) => t.ignore)) slow.push(`${type} ${v}`);
      else {assert.ok(found.every((t) =>
          !t.ignore || / \(slow lane: SONATA_SLOW=1\)$/.test(t.name)
        ));}
    }
  }
  assert.deepEqual(missing, [], `variants without a torchvision comparison: ${missing.join(", ")}`);
  // the normal lane keeps a variant of every family
  const slowOnly = Object.keys(ISSUE_11).filter((type) =>
    ISSUE_11[type].every((v) => slow.includes(`${type} ${v}`))
  );
  assert.deepEqual(slowOnly, [], `families only in the slow lane: ${slowOnly.join(", ")}`);
});
