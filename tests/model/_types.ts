/** A plain object. */
export type Obj = Record<string, unknown>;
