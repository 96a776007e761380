// Child process of hf_text_reload_test.ts: load a saved model in a fresh process and print the
// probabilities of the rows given as JSON on the command line.
import { Model } from "../../mod.ts";

const [dir, rowsJson] = Deno.args;
const model = await Model.load(dir);
const out = await model.predict(JSON.parse(rowsJson));
// deno-lint-ignore no-console
console.log(JSON.stringify(out.predictions.columns.label_probabilities));
