// Shared imports of the integration tests: the public API, on the cpu-compatible engine chosen
// by `auto` (native where a BLAS exists).
export { feature, Model, model } from "../../mod.ts";
export { tf } from "../../lib/compute/mod.ts";
