// A pickle reader (protocols 0-5) that never executes anything. Globals become PyGlobal markers; calling
// one (REDUCE, NEWOBJ, INST, OBJ) yields an inert PyObject unless the caller registered a handler for that
// global (torch.ts registers the tensor rebuild functions). dict -> Map, list/tuple -> Array,
// bytes -> Uint8Array, int -> number (bigint beyond 2^53).
import { CheckpointError } from '../errors';
import { untrusted } from '../common/untrusted';

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a class we do not know, kept as data: never constructed, never called. */
export class PyObject {
  state: unknown;
  constructor(
    readonly type: unknown,
    readonly args: unknown,
  ) {}
}

export interface UnpickleOptions {
  file: string;
  /** Absolute file offset of bytes[0], for messages. */
  base?: number;
  /** Where to start in `bytes`. */
  start?: number;
  /** false: the pickle may continue past `bytes` (throws NeedMoreBytes instead of "truncated"). */
  complete?: boolean;
  persistentLoad?: (pid: unknown) => unknown;
  /** Handlers for callables by qualified name ("torch._utils._rebuild_tensor_v2"); args is the argument tuple. */
  calls?: Record<string, (args: unknown[]) => unknown>;
}

/** The pickle runs past the bytes given; read more and try again. */
export class NeedMoreBytes extends Error {}

const MAX_TEXT_INT_DIGITS = 10_000;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): { value: unknown; end: number } {
  const file = opts.file;
  const base = opts.base ?? 0;
  const complete = opts.complete ?? true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = opts.start ?? 0;
  let opAt = pos;

  const fail = (detail: string): never => {
    throw new CheckpointError(file, `pickle: ${detail} (opcode at byte ${base + opAt})`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      if (!complete) throw new NeedMoreBytes();
      fail(`truncated: wants ${n} more bytes`);
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const b = bytes.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) {
      if (!complete) throw new NeedMoreBytes();
      fail(`length ${v} is past the end of the data`);
    }
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(10, pos);
    if (nl < 0) {
      if (!complete) throw new NeedMoreBytes();
      fail('truncated: unterminated text argument');
    }
    const s = new TextDecoder().decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) return fail('no MARK on the stack');
    return stack.splice(m);
  };
  // One hex parse, linear in the length: building the BigInt byte by byte would be quadratic (LONG4 may be 2 GiB).
  const signedLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    const hex = new Array<string>(b.length);
    for (let i = 0; i < b.length; i++) hex[b.length - 1 - i] = HEX[b[i]];
    let v = BigInt(`0x${hex.join('')}`);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
  };
  const textInt = (s: string): number | bigint => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (t === '00') return false as unknown as number;
    if (t === '01') return true as unknown as number;
    if (!/^[+-]?\d+$/.test(t) || t.length > MAX_TEXT_INT_DIGITS) fail(`bad integer literal ${untrusted(s, 60)}`);
    const v = BigInt(t);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  };
  const call = (callable: unknown, args: unknown): unknown => {
    if (callable instanceof PyGlobal) {
      if (callable.qualified === 'collections.OrderedDict' || callable.qualified === 'builtins.dict') {
        const m = new Map<unknown, unknown>();
        const init = Array.isArray(args) ? args[0] : undefined;
        if (Array.isArray(init)) for (const kv of init) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
        return m;
      }
      const handler = opts.calls?.[callable.qualified];
      if (handler) {
        if (!Array.isArray(args)) fail(`${callable.qualified} called without an argument tuple`);
        return handler(args as unknown[]);
      }
    }
    return new PyObject(callable, args);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (items.length % 2) fail('odd number of items for SETITEMS');
    if (target instanceof Map) for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    else if (!(target instanceof PyObject)) fail('SETITEM(S) on something that is not a dict');
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (Array.isArray(target)) for (const x of items) target.push(x);
    else if (target instanceof Set) for (const x of items) target.add(x);
    else if (!(target instanceof PyObject)) fail('APPEND(S) on something that is not a list');
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    return memo.get(i);
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint only
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x49:
        stack.push(textInt(line()));
        break; // INT
      case 0x4c:
        stack.push(textInt(line()));
        break; // LONG
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(signedLE(take(u8())));
        break; // LONG1
      case 0x8b: {
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(signedLE(take(n)));
        break;
      }
      case 0x46: {
        // FLOAT
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s.trim())) fail(`bad float literal ${untrusted(s, 60)}`);
        stack.push(v);
        break;
      }
      case 0x47: {
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      } // BINFLOAT (big-endian)
      case 0x53: {
        // STRING: a quoted Python literal; kept raw without the quotes
        const s = line();
        stack.push(
          s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0]
            ? s.slice(1, -1)
            : fail('bad STRING literal'),
        );
        break;
      }
      case 0x54: {
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(new TextDecoder('latin1').decode(take(n)));
        break;
      }
      case 0x55:
        stack.push(new TextDecoder('latin1').decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x56:
        stack.push(line());
        break; // UNICODE (raw-unicode-escape, close enough for names)
      case 0x58:
        stack.push(utf8(take(u32())));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8(take(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(utf8(take(u64())));
        break; // BINUNICODE8
      case 0x42:
        stack.push(take(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x8e:
      case 0x96:
        stack.push(take(u64()).slice());
        break; // BINBYTES8, BYTEARRAY8
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x8f:
        stack.push(new Set());
        break; // EMPTY_SET
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x91:
        stack.push(new Set(popMark()));
        break; // FROZENSET
      case 0x64: {
        const items = popMark();
        const m = new Map();
        setItems(m, items);
        stack.push(m);
        break;
      } // DICT
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      } // APPEND
      case 0x65:
      case 0x90: {
        const items = popMark();
        appendItems(top(), items);
        break;
      } // APPENDS, ADDITEMS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(new PyGlobal(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(new PyGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      } // REDUCE
      case 0x62: {
        // BUILD: set the state of a placeholder; anything else keeps its value
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        break;
      }
      case 0x69: {
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(new PyObject(new PyGlobal(module, name), args));
        break;
      } // INST
      case 0x6f: {
        const items = popMark();
        if (!items.length) fail('OBJ without a class');
        stack.push(new PyObject(items[0], items.slice(1)));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(new PyObject(cls, args));
        break;
      } // NEWOBJ
      case 0x92: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(new PyObject(cls, [args, kwargs]));
        break;
      } // NEWOBJ_EX
      case 0x70: {
        const s = line();
        const i = Number(s);
        if (!Number.isSafeInteger(i)) fail('bad PUT index');
        memo.set(i, top());
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x67: {
        const s = line();
        const i = Number(s);
        if (!Number.isSafeInteger(i)) fail('bad GET index');
        stack.push(memoGet(i));
        break;
      }
      case 0x68:
        stack.push(memoGet(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(memoGet(u32()));
        break; // LONG_BINGET
      case 0x50: {
        // PERSID
        const pid = line();
        stack.push(opts.persistentLoad ? opts.persistentLoad(pid) : fail('persistent id without a loader'));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        stack.push(opts.persistentLoad ? opts.persistentLoad(pid) : fail('persistent id without a loader'));
        break;
      }
      default:
        fail(`unexpected opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
