// Resuming with data that has more category values than the checkpoint (issue 17 #9): one line
// naming the feature and both vocabulary sizes, not a TF.js shape error.
import { match, rejects } from "node:assert/strict";
import { Model } from "../../mod.ts";

const rows = (values: string[]) =>
  Array.from({ length: 90 }, (_, i) => ({
    x: Math.sin(i),
    c: values[i % values.length],
    y: i % 3 === 0 ? 1 : 0,
  }));

const CONFIG = {
  input_features: [{ name: "x", type: "number" }, { name: "c", type: "category" }],
  output_features: [{ name: "y", type: "number" }],
  trainer: { epochs: 1, batch_size: 30 },
};

Deno.test("resuming with more category values than the checkpoint names the feature and both sizes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_resume_vocab_" });
  try {
    const first = await (await Model.create(CONFIG)).train({
      dataset: rows(["a", "b", "c"]),
      output_directory: dir,
      progress: false,
      skip_save_processed_input: true,
    });
    const error = await (await Model.create({ ...CONFIG, trainer: { epochs: 2, batch_size: 30 } }))
      .train({
        dataset: rows(["a", "b", "c", "d", "e"]),
        model_resume_path: first.output_directory!,
        progress: false,
        skip_save_processed_input: true,
      }).then(() => undefined, (e: Error) => e);
    if (!error) throw new Error("resume with more values succeeded");
    const line = String(error.message);
    match(line, /feature "c"/);
    match(line, /\b5\b.*\b3\b|\b3\b.*\b5\b/);
    if (line.includes("\n")) throw new Error(`not one line: ${line}`);
    await rejects(Promise.reject(error), /vocabulary/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
