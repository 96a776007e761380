import { equal, match, ok } from "node:assert/strict";
import { HAVE_MPI, run } from "./_mpi.ts";
import { rows } from "./_rows.ts";

const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

Deno.test({
  name: "sonata train with num_workers 2 launches mpirun itself; rank 0 alone writes the run",
  ignore: !HAVE_MPI,
  async fn() {
    const dir = await Deno.makeTempDir();
    const data = rows(160);
    const header = Object.keys(data[0]);
    await Deno.writeTextFile(
      `${dir}/data.csv`,
      [header.join(","), ...data.map((r) => header.map((k) => r[k]).join(","))].join("\n") + "\n",
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        "input_features: [{name: x0, type: number}, {name: x1, type: number}, {name: c, type: category}]",
        "output_features: [{name: y, type: number}]",
        "trainer: {epochs: 2, batch_size: 16}",
        "backend: {type: mpi, compute: cpu, trainer: {strategy: fsdp, num_workers: 2}}",
      ].join("\n"),
    );
    const r = await run(
      Deno.execPath(),
      [
        "run",
        "-A",
        CLI,
        "train",
        "--config",
        `${dir}/config.yaml`,
        "--dataset",
        `${dir}/data.csv`,
        "--output_directory",
        `${dir}/results`,
      ],
      240,
      { OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" },
    );
    equal(r.code, 0, r.stderr);
    // One line from rank 0, none from rank 1.
    equal(r.stdout.match(/Model saved to/g)?.length, 1, r.stdout);
    const runs = [...Deno.readDirSync(`${dir}/results`)].map((e) => e.name);
    equal(runs.join(","), "experiment_run");
    ok((await Deno.stat(`${dir}/results/experiment_run/model/model_config.json`)).isFile);
    const description = JSON.parse(
      await Deno.readTextFile(`${dir}/results/experiment_run/description.json`),
    );
    match(JSON.stringify(description), /"num_workers":2/);
    await Deno.remove(dir, { recursive: true });
  },
});
