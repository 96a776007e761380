/**
 * A prefetcher of image batches: Deno workers prepare the next batches (gather rows of uint8
 * image columns, scale to [0, 1], augment, standardize) while the current training step runs,
 * and an async iterator hands out ready batches in order, with at most `queueSize` batches
 * prepared or in preparation ahead of the consumer. The output does not depend on the number
 * of workers: each image's augmentation draws from its own seed (seed, epoch, position).
 *
 * A streamed column (`source` set, `in_memory: false`) is never held whole: for each batch
 * submitted ahead, its rows are read from the source (asynchronous file reads on the calling
 * thread, overlapping the training step) and travel to the worker with the job, transferred.
 * A read error (a damaged cache file) rejects that batch with the source's error.
 *
 * @module
 */
import { type BatchJob, type PrefetchImageColumn, prepareImageBatch } from "./_prepare_images.ts";
import type { PrefetchWorkerReply, PrefetchWorkerRequest } from "./_prefetch_worker.ts";
import type { ColumnSource } from "./batches.ts";

export type { PrefetchImageColumn } from "./_prepare_images.ts";

/** Options of {@linkcode ImageBatchPrefetcher}. */
export interface PrefetchOptions {
  /** The image columns by feature name. */
  columns: Readonly<Record<string, PrefetchImageColumn>>;
  /** Rows per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** The run's seed. */
  seed: number;
  /** Number of workers; 0 prepares batches on the calling thread when they are asked for. */
  workers: number;
  /** Batches prepared or in preparation ahead of the consumer (default `2 * workers`, at least 2). */
  queueSize?: number;
}

/** A prepared batch. */
export interface PreparedImageBatch {
  /** The batch's index in the epoch. */
  index: number;
  /** The dataset rows of the batch. */
  rows: Int32Array;
  /** The NHWC float32 images by feature name. */
  images: Record<string, Float32Array>;
}

/** Options of one epoch. */
export interface EpochOptions {
  /** The epoch (0-based), part of every image's seed. */
  epoch: number;
  /** Augment (training batches); false for evaluation. */
  augment: boolean;
  /**
   * The epoch position of `order`'s first row (a resumed epoch passes the rest of its order),
   * so each image keeps its seed; default 0.
   */
  offset?: number;
}

function toShared(column: PrefetchImageColumn): PrefetchImageColumn {
  if (column.source !== undefined) {
    // Streamed: the worker gets each batch's pixels with the job (a source cannot be cloned).
    const { source: _source, data: _data, ...rest } = column;
    return rest;
  }
  if (column.data === undefined) {
    throw new TypeError("an image prefetch column needs data or a source");
  }
  if (column.data.buffer instanceof SharedArrayBuffer) return column;
  const shared = new Uint8Array(new SharedArrayBuffer(column.data.byteLength));
  shared.set(column.data);
  return { ...column, data: shared };
}

interface Pending {
  resolve(images: Record<string, Float32Array>): void;
  reject(error: Error): void;
}

/**
 * Prepares image batches ahead of training.
 *
 * @example Two epochs' batches on the calling thread
 * ```ts
 * import { assertEquals } from "../_util/_assert.ts";
 * import { ImageBatchPrefetcher } from "./prefetch.ts";
 * const prefetcher = new ImageBatchPrefetcher({
 *   columns: { img: { data: new Uint8Array([0, 255, 51]), height: 1, width: 1, channels: 1, augmentation: [], standardize: null } },
 *   batchSize: 2, seed: 1, workers: 0,
 * });
 * const sizes: number[] = [];
 * for await (const batch of prefetcher.epoch(Int32Array.from([2, 0, 1]), { epoch: 0, augment: true })) {
 *   sizes.push(batch.images.img.length);
 * }
 * prefetcher.close();
 * assertEquals(sizes, [2, 1]);
 * ```
 */
export class ImageBatchPrefetcher implements Disposable {
  readonly #columns: Readonly<Record<string, PrefetchImageColumn>>;
  /** The streamed columns' sources by name. */
  readonly #sources: [string, ColumnSource][];
  readonly #batchSize: number;
  readonly #seed: number;
  readonly #queueSize: number;
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #pending = new Map<string, Pending>();
  #epochId = 0;
  #closed = false;

  /** Rows per batch. */
  get batchSize(): number {
    return this.#batchSize;
  }

  /** Starts the workers and hands them the columns (once, in shared memory). */
  constructor(options: PrefetchOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, received ${options.batchSize}`);
    }
    this.#batchSize = options.batchSize;
    this.#seed = options.seed;
    const workers = Math.max(0, Math.floor(options.workers));
    this.#queueSize = Math.max(1, options.queueSize ?? Math.max(2, 2 * workers));
    this.#sources = Object.entries(options.columns).flatMap(([name, c]) =>
      c.source !== undefined ? [[name, c.source] as [string, ColumnSource]] : []
    );
    this.#columns = workers > 0
      ? Object.fromEntries(Object.entries(options.columns).map(([k, c]) => [k, toShared(c)]))
      : options.columns;
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(new URL("./_prefetch_worker.ts", import.meta.url), {
        type: "module",
      });
      worker.onmessage = (event: MessageEvent<PrefetchWorkerReply>) => this.#onReply(worker, event);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#failAll(new Error(`image prefetch worker failed: ${event.message}`));
      };
      worker.postMessage(
        {
          kind: "init",
          columns: this.#columns as Record<string, PrefetchImageColumn>,
        } satisfies PrefetchWorkerRequest,
      );
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  #onReply(worker: Worker, event: MessageEvent<PrefetchWorkerReply>): void {
    this.#idle.push(worker);
    const reply = event.data;
    const key = `${reply.epochId}:${reply.index}`;
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    if (pending !== undefined) {
      if ("error" in reply) pending.reject(new Error(reply.error));
      else pending.resolve(reply.images);
    }
    this.#pump();
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /** Jobs waiting for an idle worker: [epochId, index, job]. */
  #queue: [number, number, BatchJob][] = [];

  #pump(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const [epochId, index, job] = this.#queue.shift()!;
      if (epochId !== this.#epochId) continue;
      const worker = this.#idle.shift()!;
      const transfer = Object.values(job.pixels ?? {}).map((p) => p.buffer as ArrayBuffer);
      worker.postMessage(
        { kind: "batch", epochId, index, job } satisfies PrefetchWorkerRequest,
        transfer,
      );
    }
  }

  /** The rows of a batch of every streamed column, read concurrently. */
  async #readPixels(rows: Int32Array): Promise<Record<string, Uint8Array> | undefined> {
    if (this.#sources.length === 0) return undefined;
    const parts = await Promise.all(this.#sources.map(([, source]) => source.read(rows)));
    const pixels: Record<string, Uint8Array> = {};
    this.#sources.forEach(([name, source], k) => {
      const part = parts[k];
      const c = this.#columns[name];
      if (
        !(part instanceof Uint8Array) ||
        part.length !== rows.length * c.height * c.width * c.channels
      ) {
        throw new RangeError(
          `Cannot prepare image batch: the source of "${name}" returned ${part.length} ${source.dtype} values for ${rows.length} rows of ${c.height}x${c.width}x${c.channels}`,
        );
      }
      pixels[name] = part;
    });
    return pixels;
  }

  #submit(epochId: number, index: number, job: BatchJob): Promise<Record<string, Float32Array>> {
    const key = `${epochId}:${index}`;
    const promise = new Promise<Record<string, Float32Array>>((resolve, reject) => {
      this.#pending.set(key, { resolve, reject });
    });
    promise.catch(() => {}); // a batch abandoned at close() must not be an unhandled rejection
    const enqueue = (ready: BatchJob) => {
      this.#queue.push([epochId, index, ready]);
      this.#pump();
    };
    if (this.#sources.length === 0) enqueue(job);
    else {
      // Read the streamed columns' rows now, while earlier batches train.
      this.#readPixels(job.rows).then((pixels) => {
        if (epochId === this.#epochId && !this.#closed) enqueue({ ...job, pixels });
      }, (error) => {
        const pending = this.#pending.get(key);
        this.#pending.delete(key);
        pending?.reject(error instanceof Error ? error : new Error(String(error)));
      });
    }
    return promise;
  }

  /**
   * The batches of one epoch, in order. Starting another epoch (or breaking out of the loop)
   * abandons the batches still being prepared for this one.
   *
   * @param order The dataset rows in the epoch's order (shuffled by the caller).
   * @param options The epoch and whether to augment.
   * @returns An async iterator of prepared batches.
   */
  async *epoch(order: Int32Array, options: EpochOptions): AsyncGenerator<PreparedImageBatch> {
    if (this.#closed) throw new Error("the image prefetcher is closed");
    const epochId = ++this.#epochId;
    this.#queue = [];
    for (const pending of this.#pending.values()) pending.resolve({});
    this.#pending.clear();
    const count = Math.ceil(order.length / this.#batchSize);
    const jobOf = (index: number): BatchJob => ({
      rows: order.slice(
        index * this.#batchSize,
        Math.min(order.length, (index + 1) * this.#batchSize),
      ),
      position: (options.offset ?? 0) + index * this.#batchSize,
      epoch: options.epoch,
      seed: this.#seed,
      augment: options.augment,
    });
    if (this.#workers.length === 0) {
      // On this thread: the next batch's streamed rows are read while this one is used.
      const read = (index: number) => {
        const job = jobOf(index);
        const pixels = this.#readPixels(job.rows).then((p) => ({ ...job, pixels: p }));
        pixels.catch(() => {}); // awaited below; an abandoned read must not go unhandled
        return pixels;
      };
      let next = count > 0 ? read(0) : undefined;
      for (let index = 0; index < count; index++) {
        const job = await next!;
        next = index + 1 < count ? read(index + 1) : undefined;
        yield { index, rows: job.rows, images: prepareImageBatch(this.#columns, job) };
      }
      return;
    }
    const ahead: Promise<Record<string, Float32Array>>[] = [];
    const jobs: BatchJob[] = [];
    let submitted = 0;
    const fill = () => {
      while (submitted < count && ahead.length < this.#queueSize) {
        const job = jobOf(submitted);
        jobs.push(job);
        ahead.push(this.#submit(epochId, submitted, job));
        submitted++;
      }
    };
    try {
      fill();
      for (let index = 0; index < count; index++) {
        const images = await ahead.shift()!;
        const job = jobs.shift()!;
        if (epochId !== this.#epochId) return;
        fill();
        yield { index, rows: job.rows, images };
      }
    } finally {
      if (epochId === this.#epochId) {
        this.#queue = [];
        // Leave pending replies to be dropped when they arrive.
        for (const key of [...this.#pending.keys()]) {
          if (key.startsWith(`${epochId}:`)) this.#pending.delete(key);
        }
      }
    }
  }

  /** Stops the workers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#epochId++;
    this.#queue = [];
    this.#failAll(new Error("the image prefetcher is closed"));
    for (const worker of this.#workers) worker.terminate();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
