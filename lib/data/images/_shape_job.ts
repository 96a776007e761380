/**
 * The unit of decoding work shared by the main thread and the decoding workers: read, decode and
 * shape a run of images into one contiguous uint8 buffer.
 *
 * @module
 */
import { decodeImage, type ImageTarget, shapeImage } from "./decode.ts";
import { type ImageSource, readImageSource } from "./source.ts";

/** One image of a job: its row in the column and where its bytes are. */
export interface JobItem {
  /** Row of the column (0-based). */
  row: number;
  /** Source, or a constant pixel value for a filled missing cell. */
  source: ImageSource | { kind: "constant"; value: number; label: string };
}

/** A failure inside a job, located by row. */
export interface JobFailure {
  /** Row of the column (0-based). */
  row: number;
  /** What is wrong, in lower case. */
  detail: string;
}

/** Thrown by {@linkcode runShapeJob} for a bad image. */
export class ShapeJobError extends Error {
  /** The failure. */
  readonly failure: JobFailure;
  /** Creates the error. */
  constructor(failure: JobFailure) {
    super(failure.detail);
    this.failure = failure;
  }
}

/** Reads, decodes and shapes one image; throws a `TypeError` whose message is the detail. */
export async function shapeOne(item: JobItem, target: ImageTarget): Promise<Uint8Array> {
  const { source } = item;
  if (source.kind === "constant") {
    return new Uint8Array(target.height * target.width * target.channels).fill(source.value);
  }
  const bytes = await readImageSource(source);
  try {
    return await shapeImage(await decodeImage(bytes), target);
  } catch (error) {
    throw new TypeError(`cannot read ${source.label}: ${(error as Error).message}`);
  }
}

/**
 * Shapes `items` into one buffer of `items.length * height * width * channels` bytes, in order;
 * the first bad image throws a {@linkcode ShapeJobError} with its row.
 */
export async function runShapeJob(
  items: readonly JobItem[],
  target: ImageTarget,
): Promise<Uint8Array> {
  const size = target.height * target.width * target.channels;
  const out = new Uint8Array(items.length * size);
  const concurrency = 4;
  let next = 0;
  const state: { failure?: JobFailure } = {};
  const record = (candidate: JobFailure) => {
    if (state.failure === undefined || candidate.row < state.failure.row) state.failure = candidate;
  };
  const lane = async () => {
    while (state.failure === undefined && next < items.length) {
      const i = next++;
      try {
        out.set(await shapeOne(items[i], target), i * size);
      } catch (error) {
        const candidate = { row: items[i].row, detail: (error as Error).message };
        record(candidate);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (state.failure !== undefined) throw new ShapeJobError(state.failure);
  return out;
}
