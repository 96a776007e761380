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

/** `sonata predict` on `rows` (written as CSV): the predictions.csv it wrote, as records. */
export async function cliPredictions(dir: string, rows: readonly Row[]): Promise<Row[]> {
  const { main } = await import("../../lib/cli/main.ts");
  const { readDataset } = await import("../../lib/data/read.ts");
  const work = await Deno.makeTempDir({ prefix: "sonata_serve_cli_" });
  const columns = Object.keys(rows[0]);
  const quote = (v: unknown) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  await Deno.writeTextFile(
    `${work}/rows.csv`,
    [columns.join(","), ...rows.map((r) => columns.map((k) => quote(r[k])).join(","))].join("\n"),
  );
  const err: string[] = [];
  const code = await main(
    ["predict", "--model_path", dir, "--dataset", `${work}/rows.csv`, "--output_directory", work],
    { out: () => {}, err: (s) => void err.push(s) },
  );
  if (code !== 0) throw new Error(`sonata predict exited ${code}: ${err.join("\n")}`);
  const written = await readDataset(`${work}/predictions.csv`);
  const names = written.columnNames;
  const out = Array.from(
    { length: written.numRows },
    (_, i) => Object.fromEntries(names.map((k) => [k, written.column(k)[i]])),
  );
  await Deno.remove(work, { recursive: true });
  return out;
}

/**
 * Whether JSON predictions equal `sonata predict`'s CSV rows exactly: same columns, arrays
 * equal to the CSV's JSON text, labels and numbers equal, booleans as the CSV spells them.
 */
export function sameAsCsv(json: readonly Row[], csv: readonly Row[]): string | undefined {
  if (json.length !== csv.length) return `${json.length} rows, CSV has ${csv.length}`;
  for (let i = 0; i < json.length; i++) {
    const a = Object.keys(json[i]).sort().join(",");
    const b = Object.keys(csv[i]).sort().join(",");
    if (a !== b) return `row ${i}: columns ${a} vs CSV ${b}`;
    for (const [k, v] of Object.entries(json[i])) {
      const cell = csv[i][k];
      const same = Array.isArray(v)
        ? JSON.stringify(v) === JSON.stringify(JSON.parse(String(cell)))
        : typeof v === "boolean"
        ? String(v) === String(cell).toLowerCase()
        : typeof v === "number" && typeof cell === "string"
        ? String(v) === cell // JS' shortest round-trip text: equal text is the equal number
        : v === cell;
      if (!same) return `row ${i} ${k}: ${JSON.stringify(v)} vs CSV ${JSON.stringify(cell)}`;
    }
  }
  return undefined;
}
