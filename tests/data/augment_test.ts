import assert from "node:assert/strict";
import {
  augmentBatch,
  augmentImage,
  gatherImages,
  imageSeed,
  standardizeImagenet,
} from "../../lib/data/augment.ts";
import { type AugmentationOperation, AugmentationSchema } from "../../lib/features/image_schema.ts";

const dims = { height: 4, width: 5, channels: 3 };
const size = 4 * 5 * 3;
const sure = () => 0; // fires every operation, and draws the lowest parameter

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 7) % 50) / 50);
}

Deno.test("AugmentationSchema resolves true, false and lists with Ludwig's defaults", () => {
  assert.deepEqual(AugmentationSchema.parse(undefined), []);
  assert.deepEqual(AugmentationSchema.parse(false), []);
  assert.deepEqual(AugmentationSchema.parse(true), [
    { type: "random_horizontal_flip" },
    { type: "random_rotate", degree: 15 },
  ]);
  assert.deepEqual(
    AugmentationSchema.parse([
      { type: "random_vertical_flip" },
      { type: "random_blur" },
      { type: "random_brightness" },
      { type: "random_contrast", min: 0.8 },
      { type: "random_rotate" },
    ]),
    [
      { type: "random_vertical_flip" },
      { type: "random_blur", kernel_size: 3 },
      { type: "random_brightness", min: 0.5, max: 2 },
      { type: "random_contrast", min: 0.8, max: 2 },
      { type: "random_rotate", degree: 15 },
    ],
  );
  // Idempotent: the resolved list parses to itself.
  const resolved = AugmentationSchema.parse(true);
  assert.deepEqual(AugmentationSchema.parse(resolved), resolved);
  assert.equal(AugmentationSchema.safeParse([{ type: "random_zoom" }]).success, false);
  assert.equal(
    AugmentationSchema.safeParse([{ type: "random_blur", kernel_size: 4 }]).success,
    false,
  );
  assert.equal(
    AugmentationSchema.safeParse([{ type: "random_brightness", min: 2, max: 1 }]).success,
    false,
  );
  assert.equal(AugmentationSchema.safeParse([{ type: "random_rotate", degre: 3 }]).success, false);
});

Deno.test("flips mirror the image", () => {
  const img = ramp(size);
  const h = img.slice();
  augmentImage(h, dims, [{ type: "random_horizontal_flip" }], sure);
  const v = img.slice();
  augmentImage(v, dims, [{ type: "random_vertical_flip" }], sure);
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 5; x++) {
      for (let c = 0; c < 3; c++) {
        assert.equal(h[(y * 5 + x) * 3 + c], img[(y * 5 + 4 - x) * 3 + c]);
        assert.equal(v[(y * 5 + x) * 3 + c], img[((3 - y) * 5 + x) * 3 + c]);
      }
    }
  }
  const never = img.slice();
  augmentImage(never, dims, [{ type: "random_horizontal_flip" }], () => 0.9);
  assert.deepEqual(never, img);
});

Deno.test("random_rotate by 90 degrees turns a square counter-clockwise", () => {
  const d = { height: 3, width: 3, channels: 1 };
  const img = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // random() = 0 fires; the angle draw (2u - 1) * degree with u = 1 gives +degree.
  const draws = [0, 1];
  augmentImage(img, d, [{ type: "random_rotate", degree: 90 }], () => draws.shift()!);
  assert.deepEqual(Array.from(img), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  const corners = Float32Array.from({ length: 25 }, () => 1);
  augmentImage(
    corners,
    { height: 5, width: 5, channels: 1 },
    [{ type: "random_rotate", degree: 45 }],
    (() => {
      const d2 = [0, 1];
      return () => d2.shift()!;
    })(),
  );
  assert.equal(corners[0], 0); // zero fill where the rotated source is outside
  assert.equal(corners[12], 1);
});

Deno.test("random_blur keeps constants and smooths an impulse", () => {
  const d = { height: 5, width: 5, channels: 1 };
  const flat = new Float32Array(25).fill(0.4);
  augmentImage(flat, d, [{ type: "random_blur", kernel_size: 3 }], sure);
  assert.ok(flat.every((v) => Math.abs(v - 0.4) < 1e-6));
  const impulse = new Float32Array(25);
  impulse[12] = 1;
  augmentImage(impulse, d, [{ type: "random_blur", kernel_size: 3 }], sure);
  const sum = impulse.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5);
  assert.ok(impulse[12] < 1 && impulse[12] > impulse[11] && impulse[11] > impulse[6]);
  assert.ok(Math.abs(impulse[11] - impulse[13]) < 1e-7);
});

Deno.test("random_brightness and random_contrast scale color, clamp, and keep alpha", () => {
  const d = { height: 1, width: 2, channels: 4 };
  const img = Float32Array.from([0.2, 0.4, 0.6, 0.5, 0.8, 0.8, 0.8, 0.7]);
  const b = img.slice();
  const draws = [0, 1]; // fire, factor = max = 2
  augmentImage(b, d, [{ type: "random_brightness", min: 0.5, max: 2 }], () => draws.shift()!);
  assert.deepEqual(Array.from(b).map((v) => +v.toFixed(5)), [0.4, 0.8, 1, 0.5, 1, 1, 1, 0.7]);
  const c = img.slice();
  augmentImage(c, d, [{ type: "random_contrast", min: 0, max: 0 }], sure);
  // factor 0: every color value becomes the mean luma
  const luma =
    (0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6 + 0.2989 * 0.8 + 0.587 * 0.8 + 0.114 * 0.8) / 2;
  for (const i of [0, 1, 2, 4, 5, 6]) assert.ok(Math.abs(c[i] - luma) < 1e-6);
  assert.equal(c[3], img[3]);
  assert.equal(c[7], img[7]);
});

Deno.test("augmentBatch() is reproducible per image and independent of batching", () => {
  const ops: AugmentationOperation[] = AugmentationSchema.parse([
    { type: "random_horizontal_flip" },
    { type: "random_vertical_flip" },
    { type: "random_rotate", degree: 30 },
    { type: "random_blur" },
    { type: "random_brightness" },
    { type: "random_contrast" },
  ]);
  const n = 16;
  const base = ramp(n * size);
  const seeds = Uint32Array.from({ length: n }, (_, i) => imageSeed(7, 3, i));
  const a = base.slice();
  augmentBatch(a, dims, ops, seeds);
  const b = base.slice();
  augmentBatch(b, dims, ops, seeds);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, base);
  // Two halves augmented separately give the same images.
  const halves = base.slice();
  augmentBatch(halves.subarray(0, 8 * size), dims, ops, seeds.subarray(0, 8));
  augmentBatch(halves.subarray(8 * size), dims, ops, seeds.subarray(8));
  assert.deepEqual(halves, a);
  // Decisions are per image: some images change and some stay (probability 0.5 per op).
  const flipOnly = base.slice();
  augmentBatch(flipOnly, dims, [{ type: "random_horizontal_flip" }], seeds);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const s = i * size;
    if (flipOnly.subarray(s, s + size).some((v, k) => v !== base[s + k])) changed++;
  }
  assert.ok(changed > 0 && changed < n, `changed ${changed} of ${n}`);
  // Another seed, another result.
  const other = base.slice();
  augmentBatch(other, dims, ops, Uint32Array.from({ length: n }, (_, i) => imageSeed(8, 3, i)));
  assert.notDeepEqual(other, a);
  assert.throws(() => augmentBatch(new Float32Array(3), dims, ops, [1]), RangeError);
});

Deno.test("gatherImages() scales to [0, 1] and standardizeImagenet() needs 3 channels", () => {
  const data = Uint8Array.from([0, 51, 255, 102, 153, 204]);
  const batch = gatherImages(data, { height: 1, width: 1, channels: 3 }, [1, 0]);
  assert.deepEqual(Array.from(batch).map((v) => +v.toFixed(4)), [0.4, 0.6, 0.8, 0, 0.2, 1]);
  standardizeImagenet(batch, 3);
  assert.ok(Math.abs(batch[3] - (0 - 0.485) / 0.229) < 1e-6);
  assert.throws(() => standardizeImagenet(new Float32Array(4), 1), /needs 3 channels/);
});
