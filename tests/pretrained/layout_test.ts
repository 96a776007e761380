import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import {
  assertWeightsMatch,
  COMMON_PREFIXES,
  compareWeights,
  convTorchToTf,
  depthwiseTorchToTf,
  formatMismatch,
  linearTorchToTf,
  mapNames,
  nchwToNhwc,
  nhwcToNchw,
  transpose,
} from "../../lib/pretrained/layout.ts";
import { type RawTensor, WeightsError } from "../../lib/pretrained/tensor.ts";

function iota(shape: number[]): RawTensor<"F32"> {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: "F32", shape, data: Float32Array.from({ length: n }, (_, i) => i) };
}

/** Row-major flat index. */
function at(shape: number[], index: number[]): number {
  return index.reduce((flat, i, d) => flat * shape[d] + i, 0);
}

Deno.test("convTorchToTf() maps OIHW element [o, i, h, w] to HWIO [h, w, i, o]", () => {
  const k = iota([4, 3, 2, 5]);
  const t = convTorchToTf(k);
  assertEquals(t.shape, [2, 5, 3, 4]);
  for (let o = 0; o < 4; o++) {
    for (let i = 0; i < 3; i++) {
      for (let h = 0; h < 2; h++) {
        for (let w = 0; w < 5; w++) {
          assertEquals(t.data[at(t.shape, [h, w, i, o])], k.data[at(k.shape, [o, i, h, w])]);
        }
      }
    }
  }
});

Deno.test("depthwiseTorchToTf() maps [c·m + j, 0, h, w] to [h, w, c, j]", () => {
  const k = iota([6, 1, 2, 2]); // 3 channels, multiplier 2
  const t = depthwiseTorchToTf(k, 3);
  assertEquals(t.shape, [2, 2, 3, 2]);
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < 2; j++) {
      for (let h = 0; h < 2; h++) {
        for (let w = 0; w < 2; w++) {
          assertEquals(
            t.data[at(t.shape, [h, w, c, j])],
            k.data[at(k.shape, [c * 2 + j, 0, h, w])],
          );
        }
      }
    }
  }
  assertEquals(depthwiseTorchToTf(iota([4, 1, 3, 3])).shape, [3, 3, 4, 1]);
  throws(() => depthwiseTorchToTf(iota([4, 2, 3, 3])), /expected \[4·multiplier, 1, h, w\]/);
  throws(() => depthwiseTorchToTf(iota([4, 1, 3, 3]), 3), RangeError);
});

Deno.test("linearTorchToTf() and the activation layouts", () => {
  const w = iota([2, 3]);
  assertEquals([...linearTorchToTf(w).data], [0, 3, 1, 4, 2, 5]);
  throws(() => linearTorchToTf(iota([2, 3, 1])), /expected rank 2, received shape \[2,3,1\]/);
  const x = iota([2, 3, 4, 5]);
  const nhwc = nchwToNhwc(x);
  assertEquals(nhwc.shape, [2, 4, 5, 3]);
  assertEquals(nhwc.data[at(nhwc.shape, [1, 2, 3, 0])], x.data[at(x.shape, [1, 0, 2, 3])]);
  assertEquals(nhwcToNchw(nhwc), x);
});

Deno.test("transpose() keeps the dtype and handles int64, empty and scalar tensors", () => {
  const t = transpose({ dtype: "I64", shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, 4n]) }, [
    1,
    0,
  ]);
  ok(t.data instanceof BigInt64Array);
  assertEquals([...t.data], [1n, 3n, 2n, 4n]);
  assertEquals(transpose(iota([0, 3]), [1, 0]).shape, [3, 0]);
  assertEquals(transpose(iota([]), []).data[0], 0);
  throws(() => transpose(iota([2, 2]), [0, 0]), /not a permutation/);
});

const T = (shape: number[]) => iota(shape);

Deno.test("mapNames() strips prefixes, applies the first matching rule, and reports the rest", () => {
  const source = new Map<string, RawTensor>([
    ["module.bert.encoder.layer.0.attention.self.query.weight", T([4, 2])],
    ["module.bert.encoder.layer.0.attention.self.query.bias", T([4])],
    ["module.bert.cls.predictions.bias", T([9])],
    ["module.bert.pooler.dense.weight", T([2, 2])],
    ["module.bert.features.0.weight", T([8, 3, 3, 3])],
  ]);
  const { tensors, sources, unmatched } = mapNames(source, [
    {
      from: /encoder\.layer\.(\d+)\.attention\.self\.(query|key|value)\.weight/,
      to: "layer_$1/$2/kernel",
      transform: "linear",
    },
    {
      from: /encoder\.layer\.(\d+)\.attention\.self\.(query|key|value)\.bias/,
      to: "layer_$1/$2/bias",
    },
    { from: "features.0.weight", to: "stem/kernel", transform: "conv2d" },
    { from: /features\..*/, to: "never" },
  ], { stripPrefixes: ["module.bert.", "bert."], ignore: [/cls\..*/] });
  assertEquals([...tensors.keys()], ["layer_0/query/kernel", "layer_0/query/bias", "stem/kernel"]);
  assertEquals(tensors.get("layer_0/query/kernel")!.shape, [2, 4]);
  assertEquals(tensors.get("stem/kernel")!.shape, [3, 3, 3, 8]);
  assertEquals(
    sources.get("layer_0/query/bias"),
    "module.bert.encoder.layer.0.attention.self.query.bias",
  );
  assertEquals(unmatched, ["module.bert.pooler.dense.weight"]);
  ok(COMMON_PREFIXES.includes("roberta.") && COMMON_PREFIXES.includes("module."));
});

Deno.test("mapNames() rejects two sources mapping to one target", () => {
  throws(
    () => mapNames(new Map([["a.w", T([1])], ["b.w", T([1])]]), [{ from: /.\.w/, to: "w" }]),
    (e: Error) =>
      e instanceof WeightsError &&
      e.message === 'Cannot map weights: tensor "b.w": both "a.w" and "b.w" map to "w"',
  );
});

Deno.test("compareWeights() and assertWeightsMatch() list the first differences", () => {
  const expected = new Map<string, number[]>(
    Array.from({ length: 8 }, (_, i) => [`w${i}`, [i + 1]] as [string, number[]]),
  );
  const received = new Map<string, RawTensor>([
    ["w0", T([1])],
    ["w1", T([3])],
    ["extra", T([1])],
  ]);
  const report = compareWeights(expected, received);
  assertEquals(report.missing, ["w2", "w3", "w4", "w5", "w6", "w7"]);
  assertEquals(report.unexpected, ["extra"]);
  assertEquals(report.shapeMismatch, [{ name: "w1", expected: [2], received: [3] }]);
  assertEquals(
    formatMismatch(report, 2),
    '6 missing: "w2", "w3", … (4 more)\n1 unexpected: "extra"\n1 with another shape: "w1" expected [2], received [3]',
  );
  throws(() => assertWeightsMatch(expected, received, "r.pth"), (e: Error) => {
    ok(e instanceof WeightsError);
    ok(
      e.message.startsWith(
        'Cannot load weights "r.pth": the weights do not match the model:\n  6 missing',
      ),
      e.message,
    );
    return true;
  });
  assertWeightsMatch(new Map([["w0", [1]]]), received, "r.pth", { allowUnexpected: true });
  ok(compareWeights(new Map([["w0", [1]]]), new Map([["w0", T([1])]])).ok);
});
