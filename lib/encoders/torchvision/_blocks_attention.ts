/**
 * Attention building blocks of the torchvision transformer families (vit, swin_transformer,
 * maxvit) and convnext's layer scale, as serializable TF.js layers holding their parameters in
 * torch's layout under torch's names (see `TorchParamsLayer` in `_core.ts`), so the generic
 * state_dict loader maps them without transposes:
 *
 * - {@linkcode TorchAttention}: multi-head self-attention over `[batch, seq, C]` or windows
 *   `[batch, groups, seq, C]` with one packed q/k/v projection (`nn.MultiheadAttention`'s
 *   `in_proj_weight`/`in_proj_bias`, swin's `qkv`, maxvit's `to_qkv`), an optional learned
 *   relative position bias table (swin, maxvit) and swin's shifted-window mask;
 * - {@linkcode ClassTokenPositions}: ViT's class token and position embeddings;
 * - {@linkcode LayerScale}: convnext's per-channel `layer_scale` (`[C, 1, 1]` in torch);
 * - {@linkcode SwinWindows}: swin's pad-to-window-multiples, cyclic shift and window partition
 *   (and the inverse);
 * - {@linkcode SwinPatchGather}: swin's patch-merging pad and 2×2 gather (`x0, x1, x2, x3`);
 * - {@linkcode MaxVitPartition}: maxvit's window/grid partition (and the inverse).
 *
 * @module
 */
import { tf } from "../../compute/mod.ts";
import type { TorchParam, TorchParamsLayer } from "./_core.ts";

type Shape = tf.Shape;

function firstShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

function firstTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** Python's `slice(start, end)` over `n` items as `[from, to)` (negative indices count back). */
function pySlice(start: number, end: number | null, n: number): [number, number] {
  const norm = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  return [norm(start), end === null ? n : norm(end)];
}

/**
 * Relative position index of a `wh × ww` window (torchvision's formula for swin and maxvit):
 * for tokens i, j (row-major), `(hi − hj + wh − 1)·(2ww − 1) + (wi − wj + ww − 1)`.
 *
 * @param wh Window height.
 * @param ww Window width.
 * @returns `[P·P]` indices into the `[(2wh − 1)(2ww − 1), heads]` table, P = wh·ww.
 *
 * @example A 1×2 window
 * ```ts
 * import assert from "node:assert/strict";
 * import { relativePositionIndex } from "./_blocks_attention.ts";
 * assert.deepEqual([...relativePositionIndex(1, 2)], [1, 0, 2, 1]);
 * ```
 */
export function relativePositionIndex(wh: number, ww: number): Int32Array {
  const p = wh * ww;
  const out = new Int32Array(p * p);
  for (let i = 0; i < p; i++) {
    const hi = Math.floor(i / ww);
    const wi = i % ww;
    for (let j = 0; j < p; j++) {
      const hj = Math.floor(j / ww);
      const wj = j % ww;
      out[i * p + j] = (hi - hj + wh - 1) * (2 * ww - 1) + (wi - wj + ww - 1);
    }
  }
  return out;
}

/** Geometry of swin's shifted windows on a padded map. */
export interface ShiftMaskSpec {
  /** Padded height and width (multiples of the window). */
  padH: number;
  /** Padded width. */
  padW: number;
  /** Window `[h, w]`. */
  window: [number, number];
  /** Effective shift `[h, w]` (0 where the window covers the padded map). */
  shift: [number, number];
}

/**
 * torchvision's shifted-window attention mask: `[numWindows, P, P]` with 0 where two tokens of
 * a window come from the same region of the rolled map and −100 elsewhere.
 *
 * @param spec Padded map, window and effective shift.
 * @returns The mask, window-major (windows in row-major order).
 *
 * @example One 2×2 window on a 2×2 map (a single region: nothing masked)
 * ```ts
 * import assert from "node:assert/strict";
 * import { shiftWindowMask } from "./_blocks_attention.ts";
 * const mask = shiftWindowMask({ padH: 2, padW: 2, window: [2, 2], shift: [0, 0] });
 * assert.deepEqual([...mask], new Array(16).fill(0));
 * ```
 */
export function shiftWindowMask(spec: ShiftMaskSpec): Float32Array {
  const { padH, padW } = spec;
  const [wh, ww] = spec.window;
  const [sh, sw] = spec.shift;
  const region = new Float32Array(padH * padW);
  const hs = [pySlice(0, -wh, padH), pySlice(-wh, -sh, padH), pySlice(-sh, null, padH)];
  const ws = [pySlice(0, -ww, padW), pySlice(-ww, -sw, padW), pySlice(-sw, null, padW)];
  let count = 0;
  for (const [h0, h1] of hs) {
    for (const [w0, w1] of ws) {
      for (let y = h0; y < h1; y++) for (let x = w0; x < w1; x++) region[y * padW + x] = count;
      count++;
    }
  }
  const nh = padH / wh;
  const nw = padW / ww;
  const p = wh * ww;
  const out = new Float32Array(nh * nw * p * p);
  const ids = new Float32Array(p);
  for (let a = 0; a < nh; a++) {
    for (let b = 0; b < nw; b++) {
      for (let t = 0; t < p; t++) {
        ids[t] = region[(a * wh + Math.floor(t / ww)) * padW + b * ww + (t % ww)];
      }
      const base = (a * nw + b) * p * p;
      for (let i = 0; i < p; i++) {
        for (let j = 0; j < p; j++) out[base + i * p + j] = ids[j] !== ids[i] ? -100 : 0;
      }
    }
  }
  return out;
}

/** Torch parameter names of a {@linkcode TorchAttention} (relative to its module path). */
export interface AttentionParamNames {
  /** The packed q/k/v weight `[3C, C]`, e.g. `in_proj_weight` or `qkv.weight`. */
  qkvWeight: string;
  /** Its bias `[3C]`. */
  qkvBias: string;
  /** The output projection `[C, C]`, e.g. `out_proj.weight`. */
  projWeight: string;
  /** Its bias `[C]`. */
  projBias: string;
}

/**
 * The torch naming schemes of packed attention: `mha` is `nn.MultiheadAttention` (ViT), `swin`
 * swin's `ShiftedWindowAttention`, `maxvit` maxvit's `RelativePositionalMultiHeadAttention`.
 * (Layer configs hold the scheme, not the names: TF.js camel-cases string config values when
 * it reloads a model.)
 */
export const ATTENTION_PARAM_NAMES: Readonly<
  Record<"mha" | "swin" | "maxvit", Readonly<AttentionParamNames>>
> = {
  mha: {
    qkvWeight: "in_proj_weight",
    qkvBias: "in_proj_bias",
    projWeight: "out_proj.weight",
    projBias: "out_proj.bias",
  },
  swin: {
    qkvWeight: "qkv.weight",
    qkvBias: "qkv.bias",
    projWeight: "proj.weight",
    projBias: "proj.bias",
  },
  maxvit: {
    qkvWeight: "to_qkv.weight",
    qkvBias: "to_qkv.bias",
    projWeight: "merge.weight",
    projBias: "merge.bias",
  },
};

/** A key of {@linkcode ATTENTION_PARAM_NAMES}. */
export type AttentionNaming = keyof typeof ATTENTION_PARAM_NAMES;

/** Settings of {@linkcode TorchAttention}. */
export interface TorchAttentionArgs {
  /** Attention heads (C divisible by them). */
  numHeads: number;
  /** Multiplier of q·kᵀ (torch: `head_dim^-0.5`; maxvit: `C^-0.5`). */
  scale: number;
  /** Torch naming scheme of the projections (see {@linkcode ATTENTION_PARAM_NAMES}). */
  naming: AttentionNaming;
  /** Window `[h, w]` of a learned relative position bias table (`relative_position_bias_table`). */
  relativeWindow?: [number, number] | null;
  /** Swin's shifted-window mask geometry (inputs `[batch, windows, P, C]`). */
  shiftMask?: ShiftMaskSpec | null;
  /** Layer name. */
  name?: string;
}

/**
 * Multi-head self-attention with a packed q/k/v projection on `[b, n, C]` or `[b, g, n, C]`
 * (attention within each of the `g` groups): q, k, v = split(x·Wᵀ + b), per head
 * softmax(q·kᵀ·scale + relative bias + shift mask)·v, heads concatenated, output projection.
 * Parameters in torch's layout: `qkv` `[3C, C]`, `[3C]`; `proj` `[C, C]`, `[C]`; the bias table
 * `[(2wh − 1)(2ww − 1), heads]`.
 *
 * @example ViT-style attention named as `nn.MultiheadAttention`
 * ```ts
 * import assert from "node:assert/strict";
 * import { ready, tf } from "../../compute/mod.ts";
 * import { TorchAttention } from "./_blocks_attention.ts";
 * await ready({ compute: "cpu", quiet: true });
 * const layer = new TorchAttention({
 *   numHeads: 2,
 *   scale: 1 / Math.sqrt(2),
 *   naming: "mha",
 *   name: "attn",
 * });
 * const y = layer.apply(tf.ones([1, 3, 4])) as tf.Tensor;
 * assert.deepEqual(y.shape, [1, 3, 4]);
 * assert.deepEqual(layer.torchParams("attn").map((p) => p.name), [
 *   "attn.in_proj_weight",
 *   "attn.in_proj_bias",
 *   "attn.out_proj.weight",
 *   "attn.out_proj.bias",
 * ]);
 * ```
 */
export class TorchAttention extends tf.layers.Layer implements TorchParamsLayer {
  /** Serialization name. */
  static className = "SonataTorchAttention";
  /** Heads. */
  readonly numHeads: number;
  /** Score scale. */
  readonly scale: number;
  /** Torch naming scheme. */
  readonly naming: AttentionNaming;
  /** Torch names of the projections. */
  readonly names: AttentionParamNames;
  /** Relative bias window, or null. */
  readonly relativeWindow: [number, number] | null;
  /** Shift mask geometry, or null. */
  readonly shiftMask: ShiftMaskSpec | null;
  #w: tf.LayerVariable[] = [];
  #dim = 0;
  #index: Int32Array | null = null;
  #mask: Float32Array | null = null;

  /**
   * Creates the layer.
   *
   * @param args Heads, scale, torch names, relative window, shift mask.
   */
  constructor(args: TorchAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.scale = args.scale;
    const names = ATTENTION_PARAM_NAMES[args.naming];
    if (names === undefined) {
      throw new RangeError(
        `Unknown attention naming "${args.naming}"; expected one of: ${
          Object.keys(ATTENTION_PARAM_NAMES).join(", ")
        }`,
      );
    }
    this.naming = args.naming;
    this.names = { ...names };
    this.relativeWindow = args.relativeWindow ? [...args.relativeWindow] : null;
    this.shiftMask = args.shiftMask
      ? { ...args.shiftMask, window: [...args.shiftMask.window], shift: [...args.shiftMask.shift] }
      : null;
  }

  /** See `tf.layers.Layer`. */
  override build(inputShape: Shape | Shape[]): void {
    const s = firstShape(inputShape);
    const c = s[s.length - 1] as number;
    if (c % this.numHeads !== 0) {
      throw new RangeError(
        `Cannot build the attention "${this.name}": ${c} channels do not divide into ${this.numHeads} heads`,
      );
    }
    this.#dim = c;
    const init = tf.initializers.glorotUniform({});
    const zeros = tf.initializers.zeros();
    this.#w = [
      this.addWeight(this.names.qkvWeight, [3 * c, c], "float32", init),
      this.addWeight(this.names.qkvBias, [3 * c], "float32", zeros),
      this.addWeight(this.names.projWeight, [c, c], "float32", init),
      this.addWeight(this.names.projBias, [c], "float32", zeros),
    ];
    if (this.relativeWindow) {
      const [wh, ww] = this.relativeWindow;
      this.#w.push(
        this.addWeight(
          "relative_position_bias_table",
          [(2 * wh - 1) * (2 * ww - 1), this.numHeads],
          "float32",
          tf.initializers.truncatedNormal({ stddev: 0.02 }),
        ),
      );
      this.#index = relativePositionIndex(wh, ww);
    }
    if (this.shiftMask) this.#mask = shiftWindowMask(this.shiftMask);
    this.built = true;
  }

  /** The torch parameters (see `TorchParamsLayer`). */
  torchParams(path: string): TorchParam[] {
    const c = this.#dim;
    const params: TorchParam[] = [
      { name: `${path}.${this.names.qkvWeight}`, weightIndex: 0, torchShape: [3 * c, c] },
      { name: `${path}.${this.names.qkvBias}`, weightIndex: 1, torchShape: [3 * c] },
      { name: `${path}.${this.names.projWeight}`, weightIndex: 2, torchShape: [c, c] },
      { name: `${path}.${this.names.projBias}`, weightIndex: 3, torchShape: [c] },
    ];
    if (this.relativeWindow) {
      const [wh, ww] = this.relativeWindow;
      params.push({
        name: `${path}.relative_position_bias_table`,
        weightIndex: 4,
        torchShape: [(2 * wh - 1) * (2 * ww - 1), this.numHeads],
      });
    }
    return params;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return firstShape(inputShape);
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = firstTensor(inputs);
      const shape = x.shape;
      const c = shape[shape.length - 1];
      const n = shape[shape.length - 2];
      const groups = shape.slice(0, -2).reduce((a, d) => a * d, 1);
      const heads = this.numHeads;
      const dh = c / heads;
      const [wqkv, bqkv, wo, bo] = this.#w.map((w) => w.read());
      const flat = tf.reshape(x, [groups * n, c]);
      const qkv = tf.add(tf.matMul(flat, wqkv as tf.Tensor2D, false, true), bqkv);
      const part = (i: number) =>
        tf.reshape(
          tf.transpose(
            tf.reshape(tf.slice(qkv, [0, i * c], [groups * n, c]), [groups, n, heads, dh]),
            [0, 2, 1, 3],
          ),
          [groups * heads, n, dh],
        );
      const q = part(0);
      const k = part(1);
      const v = part(2);
      let scores: tf.Tensor = tf.mul(tf.matMul(q, k, false, true), this.scale);
      if (this.relativeWindow) {
        const index = tf.tensor1d(this.#index!, "int32");
        const bias = tf.transpose(
          tf.reshape(tf.gather(this.#w[4].read(), index), [n, n, heads]),
          [2, 0, 1],
        );
        scores = tf.add(tf.reshape(scores, [groups, heads, n, n]), bias);
      }
      if (this.#mask) {
        const windows = shape[shape.length - 3];
        const mask = tf.tensor4d(this.#mask, [1, windows, 1, n * n]);
        scores = tf.add(tf.reshape(scores, [groups / windows, windows, heads, n * n]), mask);
      }
      const probs = tf.softmax(tf.reshape(scores, [groups * heads, n, n]), -1);
      const attended = tf.reshape(
        tf.transpose(tf.reshape(tf.matMul(probs, v), [groups, heads, n, dh]), [0, 2, 1, 3]),
        [groups * n, c],
      );
      const out = tf.add(tf.matMul(attended, wo as tf.Tensor2D, false, true), bo);
      return tf.reshape(out, shape);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      scale: this.scale,
      naming: this.naming,
      relativeWindow: this.relativeWindow,
      shiftMask: this.shiftMask as unknown as tf.serialization.ConfigDict | null,
    };
  }
}
tf.serialization.registerClass(TorchAttention);

/**
 * ViT's class token and position embeddings: `[b, n, d]` → `[b, n + 1, d]` (the class token
 * first, then `+ pos_embedding`): torchvision's top-level `class_token` `[1, 1, d]` and
 * `encoder.pos_embedding` `[1, n + 1, d]` (whatever the layer's name).
 */
export class ClassTokenPositions extends tf.layers.Layer implements TorchParamsLayer {
  /** Serialization name. */
  static className = "SonataClassTokenPositions";
  #shape: [number, number] = [0, 0];

  /** See `tf.layers.Layer`. */
  override build(inputShape: Shape | Shape[]): void {
    const s = firstShape(inputShape);
    const n = s[1] as number;
    const d = s[2] as number;
    this.#shape = [n, d];
    const init = tf.initializers.truncatedNormal({ stddev: 0.02 });
    this.addWeight("class_token", [1, 1, d], "float32", tf.initializers.zeros());
    this.addWeight("pos_embedding", [1, n + 1, d], "float32", init);
    this.built = true;
  }

  /** The torch parameters (see `TorchParamsLayer`). */
  torchParams(): TorchParam[] {
    const [n, d] = this.#shape;
    return [
      { name: "class_token", weightIndex: 0, torchShape: [1, 1, d] },
      { name: "encoder.pos_embedding", weightIndex: 1, torchShape: [1, n + 1, d] },
    ];
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    return [s[0], (s[1] as number) + 1, s[2]];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = firstTensor(inputs);
      const [cls, pos] = this.weights.map((w) => w.read());
      const tokens = tf.tile(cls, [x.shape[0], 1, 1]);
      return tf.add(tf.concat([tokens, x], 1), pos);
    });
  }
}
tf.serialization.registerClass(ClassTokenPositions);

/**
 * ConvNeXt's layer scale: `x · γ` per channel on NHWC, γ stored as torch's `[C, 1, 1]`
 * parameter `<path>.layer_scale` (the layer is named by the block's module path).
 */
export class LayerScale extends tf.layers.Layer implements TorchParamsLayer {
  /** Serialization name. */
  static className = "SonataLayerScale";
  #channels = 0;

  /** See `tf.layers.Layer`. */
  override build(inputShape: Shape | Shape[]): void {
    const s = firstShape(inputShape);
    this.#channels = s[s.length - 1] as number;
    this.addWeight(
      "layer_scale",
      [this.#channels, 1, 1],
      "float32",
      tf.initializers.constant({ value: 1e-6 }),
    );
    this.built = true;
  }

  /** The torch parameters (see `TorchParamsLayer`). */
  torchParams(path: string): TorchParam[] {
    return [{ name: `${path}.layer_scale`, weightIndex: 0, torchShape: [this.#channels, 1, 1] }];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.mul(firstTensor(inputs), tf.reshape(this.weights[0].read(), [this.#channels]))
    );
  }
}
tf.serialization.registerClass(LayerScale);

/** Rolls `x` along `axis` by `shift` (torch.roll: element i moves to i + shift). */
function roll(x: tf.Tensor, shift: number, axis: number): tf.Tensor {
  const n = x.shape[axis];
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  const begin = x.shape.map(() => 0);
  const tail = [...x.shape];
  begin[axis] = n - s;
  tail[axis] = s;
  const head = [...x.shape];
  head[axis] = n - s;
  return tf.concat([tf.slice(x, begin, tail), tf.slice(x, x.shape.map(() => 0), head)], axis);
}

/** Settings of {@linkcode SwinWindows}. */
export interface SwinWindowsArgs {
  /** Window `[h, w]`. */
  window: [number, number];
  /** Effective shift `[h, w]`. */
  shift: [number, number];
  /** The unpadded map `[h, w]`. */
  size: [number, number];
  /** false: `[b, h, w, c]` → windows `[b, nW, P, c]`; true: the inverse. */
  inverse: boolean;
  /** Layer name. */
  name?: string;
}

/**
 * Swin's window geometry: forward pads `[b, h, w, c]` with zeros at the bottom/right to window
 * multiples, rolls by −shift and partitions into `[b, nW, wh·ww, c]` windows (row-major);
 * the inverse merges the windows, rolls back by +shift and crops to `[b, h, w, c]`.
 */
export class SwinWindows extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataSwinWindows";
  /** Window. */
  readonly window: [number, number];
  /** Shift. */
  readonly shift: [number, number];
  /** Unpadded size. */
  readonly size: [number, number];
  /** Direction. */
  readonly inverse: boolean;

  /**
   * Creates the layer.
   *
   * @param args Window, shift, size, direction.
   */
  constructor(args: SwinWindowsArgs) {
    super(args);
    this.window = [...args.window];
    this.shift = [...args.shift];
    this.size = [...args.size];
    this.inverse = args.inverse;
  }

  #padded(): [number, number] {
    const [h, w] = this.size;
    const [wh, ww] = this.window;
    return [Math.ceil(h / wh) * wh, Math.ceil(w / ww) * ww];
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    const c = s[s.length - 1];
    const [ph, pw] = this.#padded();
    const [wh, ww] = this.window;
    if (this.inverse) return [s[0], this.size[0], this.size[1], c];
    return [s[0], (ph / wh) * (pw / ww), wh * ww, c];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = firstTensor(inputs);
      const b = x.shape[0];
      const c = x.shape[x.shape.length - 1];
      const [h, w] = this.size;
      const [wh, ww] = this.window;
      const [sh, sw] = this.shift;
      const [ph, pw] = this.#padded();
      const nh = ph / wh;
      const nw = pw / ww;
      if (!this.inverse) {
        let y = ph > h || pw > w ? tf.pad(x, [[0, 0], [0, ph - h], [0, pw - w], [0, 0]]) : x;
        y = roll(roll(y, -sh, 1), -sw, 2);
        y = tf.transpose(tf.reshape(y, [b, nh, wh, nw, ww, c]), [0, 1, 3, 2, 4, 5]);
        return tf.reshape(y, [b, nh * nw, wh * ww, c]);
      }
      let y = tf.transpose(tf.reshape(x, [b, nh, nw, wh, ww, c]), [0, 1, 3, 2, 4, 5]);
      y = roll(roll(tf.reshape(y, [b, ph, pw, c]), sh, 1), sw, 2);
      return ph > h || pw > w ? tf.slice(y, [0, 0, 0, 0], [b, h, w, c]) : y;
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      window: this.window,
      shift: this.shift,
      size: this.size,
      inverse: this.inverse,
    };
  }
}
tf.serialization.registerClass(SwinWindows);

/**
 * Swin's patch merging gather: pads odd sizes with a zero row/column at the end, then
 * `cat([x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]], channels)`:
 * `[b, h, w, c]` → `[b, ⌈h/2⌉, ⌈w/2⌉, 4c]`.
 */
export class SwinPatchGather extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataSwinPatchGather";

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    const half = (d: number | null) => d === null ? null : Math.ceil(d / 2);
    return [s[0], half(s[1]), half(s[2]), (s[3] as number) * 4];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = firstTensor(inputs);
      const [b, h, w, c] = x.shape;
      if (h % 2 !== 0 || w % 2 !== 0) x = tf.pad(x, [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]);
      const h2 = Math.ceil(h / 2);
      const w2 = Math.ceil(w / 2);
      // [b, h2, dh, w2, dw, c] → [b, h2, w2, dw, dh, c]: channel block dh + 2·dw
      const y = tf.transpose(tf.reshape(x, [b, h2, 2, w2, 2, c]), [0, 1, 3, 4, 2, 5]);
      return tf.reshape(y, [b, h2, w2, 4 * c]);
    });
  }
}
tf.serialization.registerClass(SwinPatchGather);

/** Settings of {@linkcode MaxVitPartition}. */
export interface MaxVitPartitionArgs {
  /** Partition size p: windows of p×p ("window") or a p×p-strided grid ("grid" passes p = map/partition). */
  p: number;
  /** Grid partition (swap groups and tokens). */
  grid: boolean;
  /** The map `[h, w]` (multiples of p). */
  size: [number, number];
  /** false: `[b, h, w, c]` → `[b, groups, tokens, c]`; true: the inverse. */
  inverse: boolean;
  /** Layer name. */
  name?: string;
}

/**
 * MaxViT's `WindowPartition` (+ `SwapAxes(-2, -3)` for grid attention) and its inverse:
 * `[b, h, w, c]` → `[b, (h/p)(w/p), p², c]` (window) or `[b, p², (h/p)(w/p), c]` (grid).
 */
export class MaxVitPartition extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataMaxVitPartition";
  /** Partition size. */
  readonly p: number;
  /** Grid mode. */
  readonly grid: boolean;
  /** Map size. */
  readonly size: [number, number];
  /** Direction. */
  readonly inverse: boolean;

  /**
   * Creates the layer.
   *
   * @param args Partition size, mode, map size, direction.
   */
  constructor(args: MaxVitPartitionArgs) {
    super(args);
    this.p = args.p;
    this.grid = args.grid;
    this.size = [...args.size];
    this.inverse = args.inverse;
  }

  /** See `tf.layers.Layer`. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    const c = s[s.length - 1];
    const [h, w] = this.size;
    if (this.inverse) return [s[0], h, w, c];
    const groups = (h / this.p) * (w / this.p);
    const tokens = this.p * this.p;
    return this.grid ? [s[0], tokens, groups, c] : [s[0], groups, tokens, c];
  }

  /** See `tf.layers.Layer`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = firstTensor(inputs);
      const b = x.shape[0];
      const c = x.shape[x.shape.length - 1];
      const p = this.p;
      const [h, w] = this.size;
      const hp = h / p;
      const wp = w / p;
      if (!this.inverse) {
        const y = tf.transpose(tf.reshape(x, [b, hp, p, wp, p, c]), [0, 1, 3, 2, 4, 5]);
        const windows = tf.reshape(y, [b, hp * wp, p * p, c]);
        return this.grid ? tf.transpose(windows, [0, 2, 1, 3]) : windows;
      }
      if (this.grid) x = tf.transpose(x, [0, 2, 1, 3]);
      const y = tf.transpose(tf.reshape(x, [b, hp, wp, p, p, c]), [0, 1, 3, 2, 4, 5]);
      return tf.reshape(y, [b, h, w, c]);
    });
  }

  /** See `tf.layers.Layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      p: this.p,
      grid: this.grid,
      size: this.size,
      inverse: this.inverse,
    };
  }
}
tf.serialization.registerClass(MaxVitPartition);
