/**
 * The `generator` decoder (Ludwig's `SequenceGeneratorDecoder`): a recurrent decoder (`cell_type`
 * rnn, gru or lstm; `num_layers` stacked cells of the hidden state's size) that generates
 * `max_sequence_length` tokens. Input: the output feature's hidden state `[batch, hidden]`
 * (reduced by `reduce_input`); output: logits `[batch, length, vocab_size]`.
 *
 * As in Ludwig: the hidden state initializes every layer's state (an LSTM's cell state too); the
 * first input token is `<SOS>`; token embeddings `[vocab, hidden]` are tied to the output
 * projection (logits = h·Eᵀ + b); at inference each step feeds back the argmax token (greedy).
 *
 * Teacher forcing: in training, the trainer hands the batch's targets to the model with
 * {@linkcode withTeacherTargets}, and step t is fed target t − 1. A TF.js functional model has one
 * input per input feature, so the targets travel beside the model rather than through it; a call
 * without them (evaluation, prediction, a model loaded elsewhere) decodes greedily.
 *
 * Differences from Ludwig 0.8.6: Ludwig also teacher-forces its evaluation passes (which get
 * targets); Sonata evaluates greedily, so validation metrics measure what prediction returns.
 * Once a row has emitted `<EOS>`, Sonata's greedy decoding emits `<PAD>` (logit 0, the others
 * −10⁴) for the rest of the row, so generated sequences end like the targets; Ludwig keeps
 * generating after `<EOS>`.
 *
 * @module
 */
import { type TeacherForcing, teacherTargetsOf } from "../model/teacher.ts";
import { tf } from "../compute/mod.ts";
import {
  type DecoderBuildOf,
  layerName,
  nextSeed,
  numberField,
  recordField,
  stringField,
  stringsField,
  type Symbolic,
} from "../model/component.ts";
import type * as entries from "./mod.ts";

type Obj = Record<string, unknown>;

/** Recurrent cell types. */
export type CellType = "rnn" | "gru" | "lstm";

export { withTeacherTargets } from "../model/teacher.ts";

/** Constructor arguments of {@linkcode SequenceGenerator}. */
export interface SequenceGeneratorArgs {
  cellType: CellType;
  numLayers: number;
  vocabSize: number;
  maxSequenceLength: number;
  startId: number;
  stopId: number;
  paddingId: number;
  useBias: boolean;
  seed: number;
  /**
   * `<feature>/<layer>`: the part before the last `/` is the output feature's layer-safe name,
   * by which teacher targets are looked up. (TF.js camel-cases string values of layer configs
   * when loading, but keeps names.)
   */
  name: string;
}

const GATES: Record<CellType, number> = { rnn: 1, gru: 3, lstm: 4 };

/** The recurrent generator as one serializable layer: [batch, hidden] → [batch, length, vocab]. */
export class SequenceGenerator extends tf.layers.Layer {
  /** Serialization name. */
  static className = "SonataSequenceGenerator";
  readonly args: SequenceGeneratorArgs;
  /** The output feature's layer-safe name. */
  readonly feature: string;
  /**
   * The teacher-forcing channel of the model this layer was built for (not serialized: a layer
   * loaded from a file reads the model-less `withTeacherTargets` scope).
   */
  teacher?: TeacherForcing;
  #embedding?: tf.LayerVariable;
  #outBias?: tf.LayerVariable;
  #cells: { kernel: tf.LayerVariable; recurrent: tf.LayerVariable; bias: tf.LayerVariable }[] = [];

  /** @param args cell, sizes, special token ids, seed. */
  constructor(args: SequenceGeneratorArgs) {
    super({ name: args.name });
    this.args = { ...args };
    this.feature = args.name.slice(0, Math.max(0, args.name.lastIndexOf("/")));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const h = s[s.length - 1] as number;
    const a = this.args;
    const gates = GATES[a.cellType];
    // Ludwig: nn.Embedding (N(0, 1)), shared with the output projection.
    this.#embedding = this.addWeight(
      "embedding",
      [a.vocabSize, h],
      "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: 1 / Math.sqrt(h), seed: a.seed }),
    );
    this.#outBias = a.useBias
      ? this.addWeight("output_bias", [a.vocabSize], "float32", tf.initializers.zeros())
      : undefined;
    this.#cells = [];
    // PyTorch's RNN/GRU/LSTM initialization (what Ludwig gets): every weight and bias drawn from
    // U(−1/√hidden, 1/√hidden).
    const bound = 1 / Math.sqrt(h);
    const uniform = (seed: number) =>
      tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed });
    for (let l = 0; l < a.numLayers; l++) {
      const seed = a.seed + 1 + 3 * l;
      this.#cells.push({
        kernel: this.addWeight(`cell_${l}/kernel`, [h, gates * h], "float32", uniform(seed)),
        recurrent: this.addWeight(
          `cell_${l}/recurrent_kernel`,
          [h, gates * h],
          "float32",
          uniform(seed + 1),
        ),
        // Input and hidden biases apart, as PyTorch (GRU needs them: r ⊙ (h·W + b_h)).
        bias: this.addWeight(`cell_${l}/bias`, [2, gates * h], "float32", uniform(seed + 2)),
      });
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], this.args.maxSequenceLength, this.args.vocabSize];
  }

  /** One step of layer `l`: input x [b, h], state(s) → new state(s). */
  #step(l: number, x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D | undefined) {
    const cell = this.#cells[l];
    const bias = cell.bias.read();
    const xi = tf.add(tf.matMul(x, cell.kernel.read() as tf.Tensor2D), tf.gather(bias, 0));
    const hh = tf.add(tf.matMul(h, cell.recurrent.read() as tf.Tensor2D), tf.gather(bias, 1));
    switch (this.args.cellType) {
      case "rnn":
        return { h: tf.tanh(tf.add(xi, hh)) as tf.Tensor2D, c };
      case "gru": {
        const [xr, xz, xn] = tf.split(xi, 3, 1);
        const [hr, hz, hn] = tf.split(hh, 3, 1);
        const r = tf.sigmoid(tf.add(xr, hr));
        const z = tf.sigmoid(tf.add(xz, hz));
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        return { h: tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D, c };
      }
      case "lstm": {
        const gates = tf.add(xi, hh);
        const [i, f, g, o] = tf.split(gates, 4, 1);
        const cNext = tf.add(tf.mul(tf.sigmoid(f), c!), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        return {
          h: tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor2D,
          c: cNext as tf.Tensor2D,
        };
      }
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Obj): tf.Tensor {
    return tf.tidy(() => {
      const a = this.args;
      const hidden = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const b = hidden.shape[0];
      const teacher = kwargs?.training === true
        ? (this.teacher?.targetsOf(this.feature) ?? teacherTargetsOf(this.feature))
        : undefined;
      const targets = teacher ? tf.cast(tf.reshape(teacher, [b, -1]), "int32") : undefined;
      const embedding = this.#embedding!.read() as tf.Tensor2D;
      const outBias = this.#outBias?.read();
      let hs = this.#cells.map(() => hidden);
      let cs = this.#cells.map(() => (a.cellType === "lstm" ? hidden : undefined));
      let tokens = tf.fill([b], a.startId, "int32") as tf.Tensor1D;
      let done = tf.zeros([b, 1], "bool");
      const padRow = tf.mul(tf.sub(tf.oneHot([a.paddingId], a.vocabSize), 1), 1e4);
      const steps: tf.Tensor[] = [];
      for (let t = 0; t < a.maxSequenceLength; t++) {
        let x = tf.gather(embedding, tokens) as tf.Tensor2D;
        const nextH: tf.Tensor2D[] = [];
        const nextC: (tf.Tensor2D | undefined)[] = [];
        for (let l = 0; l < this.#cells.length; l++) {
          const out = this.#step(l, x, hs[l], cs[l]);
          nextH.push(out.h);
          nextC.push(out.c);
          x = out.h;
        }
        hs = nextH;
        cs = nextC;
        let logits: tf.Tensor = tf.matMul(x, embedding, false, true);
        if (outBias) logits = tf.add(logits, outBias);
        if (targets && t < targets.shape[1]!) {
          steps.push(logits);
          tokens = tf.reshape(tf.slice(targets, [0, t], [-1, 1]), [b]) as tf.Tensor1D;
        } else {
          logits = tf.where(tf.tile(done, [1, a.vocabSize]), tf.tile(padRow, [b, 1]), logits);
          steps.push(logits);
          tokens = tf.argMax(logits, -1) as tf.Tensor1D;
          done = tf.logicalOr(done, tf.reshape(tf.equal(tokens, a.stopId), [b, 1]));
        }
      }
      return tf.stack(steps, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { name: _name, ...rest } = this.args;
    const own: tf.serialization.ConfigDict = { ...rest };
    return { ...super.getConfig(), ...own };
  }

  /** Rebuild from {@linkcode getConfig}'s output. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const int = (key: string) => {
      const v = config[key];
      if (typeof v !== "number") {
        throw new TypeError(`Cannot load layer ${config.name}: ${key} is not a number`);
      }
      return v;
    };
    const cellType = config.cellType;
    if (cellType !== "rnn" && cellType !== "gru" && cellType !== "lstm") {
      throw new TypeError(`Cannot load layer ${config.name}: unknown cellType ${cellType}`);
    }
    const args: SequenceGeneratorArgs = {
      cellType,
      numLayers: int("numLayers"),
      vocabSize: int("vocabSize"),
      maxSequenceLength: int("maxSequenceLength"),
      startId: int("startId"),
      stopId: int("stopId"),
      paddingId: int("paddingId"),
      useBias: config.useBias !== false,
      seed: int("seed"),
      name: String(config.name),
    };
    return new cls(args);
  }
}
tf.serialization.registerClass(SequenceGenerator);

function indexOf(metadata: Obj | undefined, symbol: string, fallback: number): number {
  const at = stringsField(metadata, "idx2str")?.indexOf(symbol) ?? -1;
  return at >= 0 ? at : fallback;
}

/**
 * Build the generator.
 *
 * @param config the resolved decoder config
 * @param ctx build context; `outputSize` is the vocabulary size, the metadata gives the length
 * @returns hidden [batch, hidden] → logits [batch, length, vocab]
 */
export const generator: DecoderBuildOf<typeof entries.generator> = (config, ctx) => {
  const meta = ctx.metadata;
  const prep = recordField(meta, "preprocessing");
  // Ludwig overwrites the decoder's max_sequence_length with the feature's metadata.
  const length = numberField(meta, "max_sequence_length") ?? config.max_sequence_length ?? 256;
  return Promise.resolve((hidden: Symbolic) => {
    if (hidden.shape.length !== 2) {
      throw new RangeError(
        `Cannot build the generator decoder of output feature "${ctx.scope}": expected a hidden ` +
          `state [batch, hidden], received [${
            hidden.shape.map((d) => d ?? "batch").join(", ")
          }]: ` +
          `set reduce_input (default sum)`,
      );
    }
    const layer = new SequenceGenerator({
      cellType: config.cell_type,
      numLayers: config.num_layers,
      vocabSize: config.vocab_size ?? ctx.outputSize,
      maxSequenceLength: length,
      startId: indexOf(meta, "<SOS>", 1),
      stopId: indexOf(meta, "<EOS>", 0),
      paddingId: indexOf(meta, stringField(prep, "padding_symbol") ?? "<PAD>", 2),
      useBias: config.use_bias,
      seed: nextSeed(ctx),
      name: layerName(ctx, "generator"),
    });
    layer.teacher = ctx.teacher;
    return layer.apply(hidden) as Symbolic;
  });
};

/** The registry's `load()` shape. */
export const build: typeof generator = generator;
