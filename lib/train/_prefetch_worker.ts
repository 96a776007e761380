/**
 * The prefetcher's worker: holds the image columns (shared memory, sent once) and prepares the
 * batches it is asked for, returning their float32 buffers transferred.
 *
 * @module
 */
import { type BatchJob, type PrefetchImageColumn, prepareImageBatch } from "./_prepare_images.ts";

/** Messages to the worker. */
export type PrefetchWorkerRequest =
  | { kind: "init"; columns: Record<string, PrefetchImageColumn> }
  | { kind: "batch"; epochId: number; index: number; job: BatchJob };

/** Messages from the worker. */
export type PrefetchWorkerReply =
  | { epochId: number; index: number; images: Record<string, Float32Array> }
  | { epochId: number; index: number; error: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<PrefetchWorkerRequest>) => void) | null;
  postMessage(message: PrefetchWorkerReply, transfer?: Transferable[]): void;
};

let columns: Record<string, PrefetchImageColumn> = {};

scope.onmessage = (event) => {
  const message = event.data;
  if (message.kind === "init") {
    columns = message.columns;
    return;
  }
  const { epochId, index, job } = message;
  try {
    const images = prepareImageBatch(columns, job);
    scope.postMessage(
      { epochId, index, images },
      Object.values(images).map((a) => a.buffer as ArrayBuffer),
    );
  } catch (error) {
    scope.postMessage({
      epochId,
      index,
      error: error instanceof Error ? error.message : String(error),
    });
  }
};
