/**
 * The decoding worker of `lib/data/images/column.ts` (`preprocessing.num_processes` > 1): it
 * receives jobs (rows and their sources), decodes and shapes them, and returns each job's pixels
 * as a transferred buffer, or the first failure with its row.
 *
 * @module
 */
import type { ImageTarget } from "./images/decode.ts";
import { type JobItem, runShapeJob, ShapeJobError } from "./images/_shape_job.ts";

/** A job sent to the worker. */
export interface ImageWorkerRequest {
  /** Job id, echoed in the reply. */
  id: number;
  /** The images. */
  items: JobItem[];
  /** The shape to bring them to. */
  target: ImageTarget;
}

/** The worker's reply. */
export type ImageWorkerReply =
  | { id: number; data: Uint8Array }
  | { id: number; failure: { row: number; detail: string } }
  | { id: number; crash: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ImageWorkerRequest>) => void) | null;
  postMessage(message: ImageWorkerReply, transfer?: Transferable[]): void;
};

scope.onmessage = async (event) => {
  const { id, items, target } = event.data;
  try {
    const data = await runShapeJob(items, target);
    scope.postMessage({ id, data }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    if (error instanceof ShapeJobError) scope.postMessage({ id, failure: error.failure });
    else scope.postMessage({ id, crash: error instanceof Error ? error.message : String(error) });
  }
};
