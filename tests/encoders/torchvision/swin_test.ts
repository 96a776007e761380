/**
 * Swin Transformer (v1) equals torchvision 0.14's (formula weights, eval mode, head removed)
 * within 1e-4 relative, its weights loaded under torchvision's full state_dict names
 * (the `relative_position_index` buffers are recomputed, not loaded). `t` on 64×64 in the
 * normal lane (stages pad to window multiples and the shift switches off where a window covers
 * the map); with SONATA_SLOW=1 `t`, `s` and `b` on 224×224 (shifted windows without padding).
 */
import assert from "node:assert/strict";
import { ready, tf } from "../../../lib/compute/mod.ts";
import {
  relativePositionIndex,
  shiftWindowMask,
} from "../../../lib/encoders/torchvision/_blocks_attention.ts";
import { SWIN } from "../../../lib/encoders/torchvision/swin.ts";
import { SLOW } from "./_fixture.ts";
import { compareThroughTorchvisionNames } from "./_v3_keys.ts";

await ready({ compute: "auto", quiet: true });

const CASES: [stem: string, variant: string, slow: boolean][] = [
  ["t", "t", false],
  ["t_224", "t", true],
  ["s", "s", true],
  ["b", "b", true],
];

for (const [stem, variant, slow] of CASES) {
  Deno.test({
    name: `swin_transformer ${variant} (${stem === "t" ? "64" : "224"}×) equals torchvision${
      slow ? " (slow lane: SONATA_SLOW=1)" : ""
    }`,
    ignore: slow && !SLOW,
    fn: async () => {
      const { error, shape, loaded } = await compareThroughTorchvisionNames(
        SWIN,
        variant,
        `swin_transformer_${stem}`,
      );
      assert.deepEqual(shape, [1, SWIN.variants[variant].featureSize]);
      assert.ok(loaded > 100, `${loaded} tensors loaded`);
      assert.ok(error < 1e-4, `relative error ${error}`);
    },
  });
}

Deno.test("swin relative position index and shifted-window mask follow torchvision", () => {
  // 2×2 window: token (0,0) against (1,1) is offset (−1,−1) → (0)·3 + 0 = 0; against itself 4
  assert.deepEqual([...relativePositionIndex(2, 2)], [
    4,
    3,
    1,
    0,
    5,
    4,
    2,
    1,
    7,
    6,
    4,
    3,
    8,
    7,
    5,
    4,
  ]);
  // 4×4 map, 2×2 windows shifted by 1 (torchvision's mask, printed by torch)
  const mask = shiftWindowMask({ padH: 4, padW: 4, window: [2, 2], shift: [1, 1] });
  const X = -100;
  assert.deepEqual([...mask], [
    ...[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ...[0, X, 0, X, X, 0, X, 0, 0, X, 0, X, X, 0, X, 0],
    ...[0, 0, X, X, 0, 0, X, X, X, X, 0, 0, X, X, 0, 0],
    ...[0, X, X, X, X, 0, X, X, X, X, 0, X, X, X, X, 0],
  ]);
  assert.throws(() => SWIN.build(tf.input({ shape: [2, 2, 3] }), "t"), /at least 4x4/);
});
