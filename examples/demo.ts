/**
 * `deno task demo`: validate and render every example config, showing the resolved model.
 * (Training on the examples' datasets arrives with the training pipeline.)
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { resolveConfig } from "../mod.ts";

const root = new URL("./", import.meta.url);
const write = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${s}\n`));
let failures = 0;
for (const dir of (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory())) {
  const path = new URL(`${dir.name}/config.yaml`, root).pathname;
  try {
    const { config } = await resolveConfig(path);
    const inputs = config.input_features.map((f) => `${f.name}:${f.type}/${f.encoder.type}`);
    const outputs = config.output_features.map((f) => `${f.name}:${f.type}/${f.decoder.type}`);
    write(`✓ examples/${dir.name}/config.yaml`);
    write(`    inputs   ${inputs.join(", ")}`);
    write(`    combiner ${config.combiner.type} → outputs ${outputs.join(", ")}`);
    write(
      `    trainer  ${config.trainer.epochs} epochs, batch ${config.trainer.batch_size}, ` +
        `${config.trainer.optimizer.type} lr ${config.trainer.learning_rate}, ` +
        `selects on ${config.trainer.validation_field}.${config.trainer.validation_metric}`,
    );
  } catch (error) {
    failures++;
    write(`✗ examples/${dir.name}/config.yaml\n${(error as Error).message}`);
  }
}
if (failures) Deno.exit(1);
