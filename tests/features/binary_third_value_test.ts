import assert from "node:assert/strict";
import { Dataset } from "../../lib/data/dataset.ts";
import { DataError } from "../../lib/data/errors.ts";
import { preprocessForPrediction } from "../../lib/features/preprocess.ts";
import { config, train } from "./_helpers.ts";

const num = [{ name: "n", type: "number", preprocessing: { normalization: null } }];
const N = [1, 2, 3, 4, 5];

Deno.test("a third value in a binary column outside the training data is an error naming column and row", async () => {
  const cfg = config(num, [{ name: "b", type: "binary" }]);
  const labels = await train(cfg, { b: ["spam", "ham", "spam", "ham", "ham"], n: N });
  const bools = await train(cfg, { b: [true, false, true, false, true], n: N });
  for (const [r, third] of [[labels, "eggs"], [bools, "maybe"]] as const) {
    await assert.rejects(
      () =>
        preprocessForPrediction(
          cfg,
          r.metadata,
          Dataset.fromColumns({
            n: [1, 2, 3],
            b: [String(r === labels ? "ham" : "true"), third, "no"],
          }),
          { includeOutputs: true },
        ),
      (e: Error) => {
        assert.ok(e instanceof DataError, String(e));
        assert.match(e.message, /column "b"/);
        assert.match(
          e.message,
          new RegExp(`data row 2: found "${third}", a value the training data did not have`),
        );
        return true;
      },
    );
  }
  // Boolean strings and the two known labels still map.
  const p = await preprocessForPrediction(
    cfg,
    labels.metadata,
    Dataset.fromColumns({ n: [1, 2, 3], b: ["ham", "spam", "ham"] }),
    { includeOutputs: true },
  );
  assert.deepEqual(Array.from(p.split.columns.b.data), [1, 0, 1]);
});
