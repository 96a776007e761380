// A tiny trained model with text, category and number inputs (and category, binary and number
// outputs), saved once per test process.
import { Model } from "../../mod.ts";

type Row = Record<string, unknown>;

const WORDS = ["good", "bad", "fine", "awful", "great", "poor", "nice", "grim"];
const COLORS = ["red", "green", "blue"];

/** Deterministic rows with learnable structure. */
export function makeRows(n: number, offset = 0): Row[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const a = WORDS[i % WORDS.length];
    const b = WORDS[(i * 3 + 1) % WORDS.length];
    const color = COLORS[i % 3];
    const size = ((i * 7) % 13) / 2;
    const positive = (WORDS.indexOf(a) % 2 === 0) !== (size > 3);
    return {
      review: `${a} and ${b} day`,
      color,
      size,
      label: positive ? "yes" : "no",
      flag: color === "red",
      score: size * 2 + (positive ? 1 : 0),
    };
  });
}

export const CONFIG = {
  input_features: [
    { name: "review", type: "text", encoder: { type: "embed" } },
    { name: "color", type: "category" },
    { name: "size", type: "number" },
  ],
  output_features: [
    { name: "label", type: "category" },
    { name: "flag", type: "binary" },
    { name: "score", type: "number" },
  ],
  trainer: { epochs: 2, batch_size: 16, learning_rate: 0.01 },
  backend: { compute: "cpu" },
};

let saved: Promise<string> | undefined;

/** The model folder (trained and saved on first use). */
export function modelDir(): Promise<string> {
  saved ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "sonata_serve_" });
    const model = await Model.create(CONFIG);
    await model.train({ dataset: makeRows(96), skip_save_all: true, progress: false });
    await model.save(`${dir}/model`);
    return `${dir}/model`;
  })();
  return saved;
}

/** JSON as the server writes it (typed arrays as arrays, non-finite numbers as null). */
export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => {
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (typeof v === "number" && !Number.isFinite(v)) return null;
    return v;
  }));
}
