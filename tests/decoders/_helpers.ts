/**
 * The decoder tests' helpers, now in the shared contract harness (`tests/_harness.ts`); kept
 * under their old names for the tests that import them from here.
 *
 * @module
 */
export {
  context,
  cpu,
  loadDecoder as loadImpl,
  random,
  resolveDecoder as resolve,
  roundTrip,
} from "../_harness.ts";
