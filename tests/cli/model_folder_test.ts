// A file missing inside an otherwise whole model folder (issue 17 #9): `predict` exits 2 with
// one line naming the file, before any work.
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { Model } from "../../mod.ts";

const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

Deno.test("predict with a model folder missing one of its files exits 2 naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sonata_model_folder_" });
  try {
    const rows = Array.from({ length: 40 }, (_, i) => ({ a: i / 40, y: i % 2 }));
    await Deno.writeTextFile(
      join(dir, "data.csv"),
      ["a,y", ...rows.map((r) => `${r.a},${r.y}`)].join("\n"),
    );
    const model = await Model.create({
      input_features: [{ name: "a", type: "number" }],
      output_features: [{ name: "y", type: "binary" }],
      trainer: { epochs: 1, batch_size: 8 },
    });
    await model.train({ dataset: rows, skip_save_all: true, progress: false });
    for (const file of ["training_set_metadata.json", "input_columns.json", "model/model.json"]) {
      const m = join(dir, `m_${file.replace("/", "_")}`);
      await model.save(m);
      await Deno.remove(join(m, file));
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "predict", "-m", m, "--dataset", join(dir, "data.csv")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(r.stderr);
      equal(r.code, 2, `${file}: ${err}`);
      match(err, new RegExp(`"${m}/${file}" is missing`));
      ok(!/Uncaught|^\s+at /m.test(err), err);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
