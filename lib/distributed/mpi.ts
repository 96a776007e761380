/**
 * MPI through Deno FFI: the collectives distributed training needs (all-reduce,
 * reduce-scatter, all-gather, gather, broadcast, barrier) on Debian's MPICH or Open MPI.
 *
 * The two libraries differ in ABI: MPICH's handles (`MPI_Comm`, `MPI_Datatype`, `MPI_Op`) are
 * 32-bit integers with fixed values (`MPI_COMM_WORLD` is `0x44000000`), Open MPI's are pointers
 * to exported globals (`ompi_mpi_comm_world`). {@linkcode openMpi} detects which one loaded and
 * binds the symbols with the matching parameter types. Collectives run as `nonblocking` FFI
 * calls (on a worker thread, so the event loop keeps running and a watchdog can abort a run
 * whose peer died); MPI is initialized with `MPI_THREAD_MULTIPLE` for that reason.
 *
 * @module
 */

/** Which MPI implementation was loaded. */
export type MpiFlavor = "mpich" | "openmpi";

/** Element types of the collectives. */
export type MpiType = "float32" | "float64" | "int32" | "uint8";

/** Reductions. */
export type MpiOp = "sum" | "max" | "min";

/** A typed array of one of {@linkcode MpiType}s. */
export type MpiBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

/** An initialized MPI world. */
export interface Mpi {
  readonly flavor: MpiFlavor;
  /** The library file that was loaded. */
  readonly library: string;
  readonly rank: number;
  readonly size: number;
  /** In-place all-reduce of `buffer` over every rank. */
  allreduce(buffer: MpiBuffer, op?: MpiOp): Promise<void>;
  /** Reduces `send` (size × block elements) and leaves block `rank` in `receive`. */
  reduceScatterBlock(send: MpiBuffer, receive: MpiBuffer, op?: MpiOp): Promise<void>;
  /** Gathers every rank's `send` into `receive` (size × send.length elements), in rank order. */
  allgather(send: MpiBuffer, receive: MpiBuffer): Promise<void>;
  /**
   * Gathers every rank's `send` into `receive` on `root` (size × send.length elements, in rank
   * order); `receive` is ignored on the other ranks (pass an empty array).
   */
  gather(send: MpiBuffer, receive: MpiBuffer, root?: number): Promise<void>;
  /** Broadcasts `buffer` from `root` to every rank (in place). */
  broadcast(buffer: MpiBuffer, root?: number): Promise<void>;
  barrier(): Promise<void>;
  /** Ends every rank of the job with `code` (a rank failed). */
  abort(code: number): never;
  /** Ends MPI; no collective may follow. */
  finalize(): void;
}

/** Raised when MPI cannot be loaded or a collective fails. */
export class MpiError extends Error {
  override name = "MpiError";
}

// MPICH's handle values (mpi.h of MPICH 3.x/4.x, stable ABI of libmpi.so.12).
const MPICH = {
  comm: 0x44000000,
  types: { float32: 0x4c00040a, float64: 0x4c00080b, int32: 0x4c000405, uint8: 0x4c00010d },
  ops: { max: 0x58000001, min: 0x58000002, sum: 0x58000003 },
  inPlace: -1n,
} as const;

// Open MPI's exported globals whose addresses are the handles.
const OMPI = {
  comm: "ompi_mpi_comm_world",
  types: {
    float32: "ompi_mpi_float",
    float64: "ompi_mpi_double",
    int32: "ompi_mpi_int",
    uint8: "ompi_mpi_unsigned_char",
  },
  ops: { max: "ompi_mpi_op_max", min: "ompi_mpi_op_min", sum: "ompi_mpi_op_sum" },
  inPlace: 1n,
} as const;

const MPI_THREAD_MULTIPLE = 3;

/** Library files tried in order (`SONATA_MPI_LIBRARY` first when set). */
export const MPI_LIBRARIES: readonly string[] = [
  "libmpich.so.12",
  "libmpi.so.12",
  "libmpi.so.40",
  "/usr/lib/x86_64-linux-gnu/libmpich.so.12",
  "/usr/lib/aarch64-linux-gnu/libmpich.so.12",
  "/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so.40",
  "/usr/lib/x86_64-linux-gnu/libmpi.so.40",
];

function symbols(handle: "i32" | "pointer") {
  return {
    MPI_Init_thread: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
    MPI_Initialized: { parameters: ["buffer"], result: "i32" },
    MPI_Finalize: { parameters: [], result: "i32" },
    MPI_Comm_rank: { parameters: [handle, "buffer"], result: "i32" },
    MPI_Comm_size: { parameters: [handle, "buffer"], result: "i32" },
    MPI_Abort: { parameters: [handle, "i32"], result: "i32" },
    MPI_Allreduce: {
      parameters: ["pointer", "pointer", "i32", handle, handle, handle],
      result: "i32",
      nonblocking: true,
    },
    MPI_Reduce_scatter_block: {
      parameters: ["pointer", "pointer", "i32", handle, handle, handle],
      result: "i32",
      nonblocking: true,
    },
    MPI_Allgather: {
      parameters: ["pointer", "i32", handle, "pointer", "i32", handle, handle],
      result: "i32",
      nonblocking: true,
    },
    MPI_Gather: {
      parameters: ["pointer", "i32", handle, "pointer", "i32", handle, "i32", handle],
      result: "i32",
      nonblocking: true,
    },
    MPI_Bcast: {
      parameters: ["pointer", "i32", handle, "i32", handle],
      result: "i32",
      nonblocking: true,
    },
    MPI_Barrier: { parameters: [handle], result: "i32", nonblocking: true },
  } as const;
}

function isOpenMpi(path: string): boolean {
  try {
    const lib = Deno.dlopen(path, { ompi_mpi_comm_world: { type: "pointer" } } as const);
    lib.close();
    return true;
  } catch {
    return false;
  }
}

function typeOf(buffer: MpiBuffer): MpiType {
  if (buffer instanceof Float32Array) return "float32";
  if (buffer instanceof Float64Array) return "float64";
  if (buffer instanceof Int32Array) return "int32";
  return "uint8";
}

let world: Mpi | undefined;

/** The MPI world of this process, initialized on first use. */
export function openMpi(): Mpi {
  if (world) return world;
  const explicit = Deno.env.get("SONATA_MPI_LIBRARY");
  // The launcher's library first: Open MPI's mpirun sets OMPI_*, MPICH's hydra PMI_*.
  const openMpiLaunch = Deno.env.get("OMPI_COMM_WORLD_RANK") !== undefined;
  const ordered = [...MPI_LIBRARIES].sort((a, b) =>
    openMpiLaunch ? Number(!a.includes(".so.40")) - Number(!b.includes(".so.40")) : 0
  );
  const candidates = explicit ? [explicit] : ordered;
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      world = isOpenMpi(path) ? bindOpenMpi(path) : bindMpich(path);
      return world;
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new MpiError(
    `Cannot load MPI: install MPICH (apt-get install mpich) or Open MPI, or set SONATA_MPI_LIBRARY ` +
      `to its libmpi (tried ${failures.join("; ")})`,
  );
}

/** Whether this process was started by an MPI launcher (mpirun, mpiexec, srun). */
export function launchedByMpi(): { rank: number; size: number } | undefined {
  const env = (name: string) => Deno.env.get(name);
  // Slurm's srun sets SLURM_PROCID / SLURM_NTASKS for every task of a step, with or without
  // --mpi (not the batch script's own step, 4294967294, nor the extern step, 4294967292).
  const step = env("SLURM_STEP_ID");
  const slurm = Number(env("SLURM_NTASKS") ?? 0) > 1 && step !== undefined &&
    step !== "4294967294" && step !== "4294967292";
  const rank = env("PMI_RANK") ?? env("OMPI_COMM_WORLD_RANK") ?? env("PMIX_RANK") ??
    (slurm ? env("SLURM_PROCID") : undefined);
  const size = env("PMI_SIZE") ?? env("OMPI_COMM_WORLD_SIZE") ??
    (slurm ? env("SLURM_NTASKS") : undefined);
  if (rank === undefined) return undefined;
  return { rank: Number(rank), size: size === undefined ? NaN : Number(size) };
}

function bindMpich(path: string): Mpi {
  const lib = Deno.dlopen(path, symbols("i32"));
  return bind(path, "mpich", lib.symbols, {
    comm: MPICH.comm,
    type: (t) => MPICH.types[t],
    op: (o) => MPICH.ops[o],
    inPlace: Deno.UnsafePointer.create(BigInt.asUintN(64, MPICH.inPlace)),
  });
}

function bindOpenMpi(path: string): Mpi {
  const globals = {
    [OMPI.comm]: { type: "pointer" },
    ...Object.fromEntries(Object.values(OMPI.types).map((n) => [n, { type: "pointer" }])),
    ...Object.fromEntries(Object.values(OMPI.ops).map((n) => [n, { type: "pointer" }])),
  } as Record<string, { type: "pointer" }>;
  const handles = Deno.dlopen(path, globals).symbols as Record<string, Deno.PointerValue>;
  const lib = Deno.dlopen(path, symbols("pointer"));
  return bind(path, "openmpi", lib.symbols as never, {
    comm: handles[OMPI.comm] as never,
    type: (t) => handles[OMPI.types[t]] as never,
    op: (o) => handles[OMPI.ops[o]] as never,
    inPlace: Deno.UnsafePointer.create(OMPI.inPlace),
  });
}

type Handle = number;
interface Handles {
  comm: Handle;
  type: (t: MpiType) => Handle;
  op: (o: MpiOp) => Handle;
  inPlace: Deno.PointerValue;
}

function bind(
  library: string,
  flavor: MpiFlavor,
  s: Deno.DynamicLibrary<ReturnType<typeof symbols>>["symbols"],
  h: Handles,
): Mpi {
  const flag = new Int32Array(1);
  s.MPI_Initialized(flag);
  if (!flag[0]) {
    const provided = new Int32Array(1);
    const rc = s.MPI_Init_thread(null, null, MPI_THREAD_MULTIPLE, provided);
    if (rc !== 0) throw new MpiError(`MPI_Init_thread failed (error ${rc})`);
  }
  const out = new Int32Array(1);
  s.MPI_Comm_rank(h.comm, out);
  const rank = out[0];
  s.MPI_Comm_size(h.comm, out);
  const size = out[0];
  let finalized = false;
  const ptr = (b: MpiBuffer) => Deno.UnsafePointer.of(b as Uint8Array<ArrayBuffer>);
  const check = (what: string) => (rc: number) => {
    if (rc !== 0) throw new MpiError(`${what} failed on rank ${rank} (MPI error ${rc})`);
  };
  const mpi: Mpi = {
    flavor,
    library,
    rank,
    size,
    async allreduce(buffer, op = "sum") {
      if (buffer.length === 0) return;
      check("MPI_Allreduce")(
        await s.MPI_Allreduce(
          h.inPlace,
          ptr(buffer),
          buffer.length,
          h.type(typeOf(buffer)),
          h.op(op),
          h.comm,
        ),
      );
    },
    async reduceScatterBlock(send, receive, op = "sum") {
      if (send.length !== receive.length * size) {
        throw new MpiError(
          `MPI_Reduce_scatter_block: ${send.length} elements do not split into ${size} blocks of ${receive.length}`,
        );
      }
      check("MPI_Reduce_scatter_block")(
        await s.MPI_Reduce_scatter_block(
          ptr(send),
          ptr(receive),
          receive.length,
          h.type(typeOf(send)),
          h.op(op),
          h.comm,
        ),
      );
    },
    async allgather(send, receive) {
      if (receive.length !== send.length * size) {
        throw new MpiError(
          `MPI_Allgather: ${receive.length} elements are not ${size} blocks of ${send.length}`,
        );
      }
      const t = h.type(typeOf(send));
      check("MPI_Allgather")(
        await s.MPI_Allgather(ptr(send), send.length, t, ptr(receive), send.length, t, h.comm),
      );
    },
    async gather(send, receive, root = 0) {
      if (rank === root && receive.length !== send.length * size) {
        throw new MpiError(
          `MPI_Gather: ${receive.length} elements are not ${size} blocks of ${send.length}`,
        );
      }
      const t = h.type(typeOf(send));
      const into = rank === root ? ptr(receive) : ptr(send);
      check("MPI_Gather")(
        await s.MPI_Gather(ptr(send), send.length, t, into, send.length, t, root, h.comm),
      );
    },
    async broadcast(buffer, root = 0) {
      if (buffer.length === 0) return;
      check("MPI_Bcast")(
        await s.MPI_Bcast(ptr(buffer), buffer.length, h.type(typeOf(buffer)), root, h.comm),
      );
    },
    async barrier() {
      check("MPI_Barrier")(await s.MPI_Barrier(h.comm));
    },
    abort(code) {
      s.MPI_Abort(h.comm, code);
      Deno.exit(code);
    },
    finalize() {
      if (finalized) return;
      finalized = true;
      s.MPI_Finalize();
    },
  };
  return mpi;
}
