// A small argv parser: `--name value`, `--name=value`, repeated options, boolean flags, positionals.
import { UsageError } from '../errors';

export interface ParsedArgs {
  positionals: string[];
  /** Every value given for an option, in order. Flags map to ['true']. */
  options: Map<string, string[]>;
}

export interface ArgSpec {
  /** Options that take a value. */
  values?: readonly string[];
  /** Options that take no value. */
  flags?: readonly string[];
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const flags = new Set(spec.flags ?? []);
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (flags.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      value = 'true';
    } else if (values.has(name)) {
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positionals, options };
}

/**
 * The value of a single-valued option, or `fallback`. Given twice is a usage error: keeping either value
 * would silently ignore the other. Options that may repeat are read from `args.options` directly.
 */
export function option(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = args.options.get(name);
  if (v && v.length > 1) {
    throw new UsageError(
      `--${name} was given ${v.length} times (${v.map((x) => JSON.stringify(x)).join(', ')}); give it once`,
    );
  }
  return v ? v[0] : fallback;
}

/** A usage error naming each option of `names` that was not given. */
export function requireOptions(args: ParsedArgs, command: string, names: readonly string[]): void {
  const missing = names.filter((n) => !args.options.has(n)).map((n) => `--${n}`);
  if (missing.length) {
    throw new UsageError(`${command} needs ${missing.join(' and ')} (see bridgetower ${command} --help)`);
  }
}

/** A usage error for positional arguments a command does not take. */
export function noPositionals(args: ParsedArgs, command: string): void {
  if (args.positionals.length) {
    const got = args.positionals.map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`${command} takes no positional arguments, got ${got}`);
  }
}

/** A usage error when a text option is empty or only whitespace (it would be answered as if it said something). */
export function checkText(value: string, what: string): string {
  if (value.trim() === '') throw new UsageError(`${what} is empty`);
  return value;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.has(name);
}

export function intOption(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const v = option(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}
