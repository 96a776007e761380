/**
 * Micro-batching: requests that arrive within a few milliseconds of each other run as one model
 * batch, and only one batch runs at a time (requests arriving meanwhile form the next batch).
 *
 * @module
 */

type Row = Record<string, unknown>;
/** Prediction columns, one value per row. */
export type Columns = Record<string, unknown[]>;

interface Pending {
  rows: Row[];
  resolve: (columns: Columns) => void;
  reject: (error: unknown) => void;
}

/** Options of {@linkcode MicroBatcher}. */
export interface BatcherOptions {
  /** How long the first request of a batch waits for others (default 2 ms). */
  windowMs?: number;
  /** A batch starts at once when it holds this many rows (default 256). */
  maxRows?: number;
}

function sliceColumns(columns: Columns, start: number, end: number): Columns {
  return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v.slice(start, end)]));
}

/** Collects rows of concurrent calls into one call of `run`. */
export class MicroBatcher {
  readonly #run: (rows: Row[]) => Promise<Columns>;
  readonly #windowMs: number;
  readonly #maxRows: number;
  #queue: Pending[] = [];
  #queuedRows = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(run: (rows: Row[]) => Promise<Columns>, options: BatcherOptions = {}) {
    this.#run = run;
    this.#windowMs = options.windowMs ?? 2;
    this.#maxRows = options.maxRows ?? 256;
  }

  /** Predict `rows` as part of the next batch; resolves with their own prediction columns. */
  submit(rows: Row[]): Promise<Columns> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ rows, resolve, reject });
      this.#queuedRows += rows.length;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#queue.length === 0) return;
    if (this.#queuedRows >= this.#maxRows) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#flush();
      }, this.#windowMs);
    }
  }

  async #flush(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    const batch: Pending[] = [];
    let rows = 0;
    while (
      this.#queue.length &&
      (batch.length === 0 || rows + this.#queue[0].rows.length <= this.#maxRows)
    ) {
      const p = this.#queue.shift()!;
      batch.push(p);
      rows += p.rows.length;
    }
    this.#queuedRows -= rows;
    try {
      await this.#runBatch(batch);
    } finally {
      this.#running = false;
      // Requests that came in meanwhile already waited for this batch: run them now.
      if (this.#queue.length) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        void this.#flush();
      }
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    let columns: Columns;
    try {
      columns = await this.#run(batch.flatMap((p) => p.rows));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      // One bad request must not fail the others: run each alone to find which.
      for (const p of batch) {
        try {
          p.resolve(await this.#run(p.rows));
        } catch (e) {
          p.reject(e);
        }
      }
      return;
    }
    let start = 0;
    for (const p of batch) {
      p.resolve(sliceColumns(columns, start, start + p.rows.length));
      start += p.rows.length;
    }
  }
}
