/**
 * A restricted unpickler that executes nothing. It understands pickle protocols 2 to 5 and only
 * the opcodes that plain data (dicts, lists, tuples, numbers, strings, bytes) and a PyTorch
 * state_dict need. A `GLOBAL` is looked up in the caller's allowlist of pure TypeScript
 * functions, so an unknown global (`os.system`, `builtins.eval`, …) is an error naming it, raised
 * before anything could be called; opcodes outside the list (`INST`, `OBJ`, `NEWOBJ`, `EXT*`, …)
 * are errors naming the opcode.
 *
 * @module
 */
import { WeightsError } from "./tensor.ts";

/** A Python dict (or `collections.OrderedDict`), with the attributes a `BUILD` gave it. */
export class PickleDict extends Map<unknown, unknown> {
  /** Instance attributes set by `BUILD` (such as a state_dict's `_metadata`). */
  attributes: Map<unknown, unknown> = new Map();
}

/** A Python tuple. */
export class PickleTuple extends Array<unknown> {}

/** A global from the allowlist: called by `REDUCE` with the argument tuple. */
export type PickleCallable = (args: unknown[]) => unknown;

/** Options of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** The name used in messages (file and entry). */
  file: string;
  /** The entry or tensor being read, for messages. */
  entry?: string;
  /** Allowed globals by `"module.name"`: a callable, or a plain value such as a storage type. */
  globals: ReadonlyMap<string, unknown>;
  /** Resolves a `BINPERSID` id (torch: a storage in the archive). */
  persistentLoad?: (pid: unknown) => unknown;
}

const MARK = Symbol("mark");

const OPCODE_NAMES: Record<number, string> = {
  0x69: "INST",
  0x6f: "OBJ",
  0x81: "NEWOBJ",
  0x92: "NEWOBJ_EX",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x50: "PERSID",
  0x49: "INT",
  0x4c: "LONG",
  0x46: "FLOAT",
  0x53: "STRING",
  0x56: "UNICODE",
  0x70: "PUT",
  0x67: "GET",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

/**
 * Unpickle bytes with the restricted machine.
 *
 * @throws {WeightsError} An opcode or global outside the allowlist, or corrupt bytes.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const { file, entry } = options;
  const fail = (detail: string) => new WeightsError(detail, { file, entry });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let p = 0;
  const need = (n: number) => {
    if (n < 0 || p + n > bytes.length) {
      throw fail(`the pickle ends early at byte ${p} (a truncated or corrupt file)`);
    }
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), p += 2, view.getUint16(p - 2, true));
  const u32 = () => (need(4), p += 4, view.getUint32(p - 4, true));
  const u64 = () => {
    need(8);
    p += 8;
    const v = view.getBigUint64(p - 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`a length of ${v} bytes is too large`);
    return Number(v);
  };
  const take = (n: number) => (need(n), p += n, bytes.subarray(p - n, p));
  const text = (n: number) => {
    try {
      return decoder.decode(take(n));
    } catch (error) {
      if (error instanceof WeightsError) throw error;
      throw fail(`a string at byte ${p - n} is not valid UTF-8`);
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw fail("the pickle ends early inside a GLOBAL");
    const s = new TextDecoder().decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const pop = () => {
    if (stack.length === 0) throw fail(`the pickle's stack is empty at byte ${p - 1}`);
    const v = stack.pop();
    if (v === MARK) throw fail(`unexpected mark at byte ${p - 1}`);
    return v;
  };
  const popMark = () => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw fail(`no mark on the stack at byte ${p - 1}`);
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const top = () => {
    if (stack.length === 0) throw fail(`the pickle's stack is empty at byte ${p - 1}`);
    return stack[stack.length - 1];
  };
  const signedLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };
  const global = (module: string, name: string) => {
    const key = `${module}.${name}`;
    if (!options.globals.has(key)) {
      throw fail(
        `the pickle refers to the global "${key}", which is not allowed in a weights file` +
          " (it was not executed)",
      );
    }
    return options.globals.get(key);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw fail("SETITEMS on something that is not a dict");
    if (items.length % 2 !== 0) throw fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const tuple = (items: unknown[]) => {
    const t = new PickleTuple();
    t.push(...items);
    return t;
  };

  const first = u8();
  if (first !== 0x80) throw fail("not a pickle of protocol 2 or later (no PROTO opcode)");
  const protocol = u8();
  if (protocol < 2 || protocol > 5) throw fail(`unsupported pickle protocol ${protocol}`);
  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) {
          throw fail(`the pickle stops with ${stack.length} values on its stack`);
        }
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push(tuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push(tuple([a, b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: { // DICT
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list) || list instanceof PickleTuple) throw fail("APPEND to a non-list");
        list.push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list) || list instanceof PickleTuple) {
          throw fail("APPENDS to a non-list");
        }
        list.push(...items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x4a: // BININT
        need(4);
        p += 4;
        stack.push(view.getInt32(p - 4, true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(signedLong(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = u32();
        stack.push(signedLong(take(n)));
        break;
      }
      case 0x47: // BINFLOAT
        need(8);
        p += 8;
        stack.push(view.getFloat64(p - 8, false));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw fail(`the pickle refers to memo ${key}, which was never stored`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw fail("STACK_GLOBAL with names that are not strings");
        }
        stack.push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (typeof fn !== "function") throw fail(`REDUCE at byte ${at} on something not callable`);
        if (!Array.isArray(args)) {
          throw fail(`REDUCE at byte ${at} with arguments that are not a tuple`);
        }
        stack.push((fn as PickleCallable)(args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict) || !(state instanceof Map)) {
          throw fail(`BUILD at byte ${at} on an object other than a dict is not allowed`);
        }
        for (const [k, v] of state) target.attributes.set(k, v);
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (options.persistentLoad === undefined) throw fail("the pickle has a persistent id");
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x30: // POP
        if (stack.length === 0) throw fail(`POP on an empty stack at byte ${at}`);
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default: {
        const name = OPCODE_NAMES[op];
        throw fail(
          name === undefined
            ? `unknown pickle opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at}`
            : `the pickle opcode ${name} (at byte ${at}) is not allowed in a weights file`,
        );
      }
    }
  }
}
