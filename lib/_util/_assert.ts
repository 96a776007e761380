/** Re-export of `node:assert/strict` helpers for doc examples. @module */
export {
  deepStrictEqual as assertEquals,
  notDeepStrictEqual as assertNotEquals,
  ok as assert,
} from "node:assert/strict";
