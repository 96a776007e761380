/**
 * `node:worker_threads` for the browser bundle: the native engine's kernel threads
 * (lib/compute/_par.ts) import it, but the browser build never runs the native engine, and a
 * worker that cannot be created turns kernel threads off there, so the constructor only says
 * clearly that it has no browser implementation.
 *
 * @module
 */

/** Unavailable in the browser: constructing one throws. */
export class Worker {
  constructor(..._: unknown[]) {
    throw new Error("node:worker_threads is not available in the browser build of Sonata");
  }
}
