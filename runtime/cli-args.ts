/**
 * The one command-line parser every CLI uses (`npm run call`, `modem:call`, `bench`, `admin`,
 * `models`, the modem emulator): node:util's parseArgs in strict mode, plus the conventions they
 * all keep, so none of them can end in a stack trace:
 *   - `--help` / `-h`: the usage on stdout, exit 0;
 *   - an unknown flag, a missing value, a stray argument, a bad number: `<cli>: <problem>` and the
 *     usage on stderr, exit 2;
 *   - a failure while running: `<cli>: <message>` on stderr (one line), exit 1 unless the CLI
 *     chooses another code.
 *
 * Imports nothing of ours, so every folder may use it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends Options> {
  /** How the CLI names itself in messages (`call`, `models`, ...). */
  name: string;
  /** The whole usage text, shown for --help and after every usage error. */
  usage: string;
  options: O;
  allowPositionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** What parseArgs gives for these options (plus `help`); `positionals` is empty unless the spec allows them. */
export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP; allowPositionals: true; strict: true }>>;

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** Bad command-line input: answered with the usage and exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Parses `argv`; throws UsageError for anything parseArgs refuses (its messages, on one line). */
export function parseCommandLine<O extends Options>(spec: CliSpec<O>, argv: string[]): ParsedArgs<O> {
  try {
    return parseArgs({ args: argv, options: { ...spec.options, ...HELP }, allowPositionals: spec.allowPositionals ?? false, strict: true }) as ParsedArgs<O>;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n').join(' '));
  }
}

/**
 * Runs one CLI invocation: parses, answers --help, runs `body`, and turns every outcome into an
 * exit code. `body` returns the exit code, or nothing to mean 0.
 */
export async function runCommand<O extends Options>(
  spec: CliSpec<O>,
  argv: string[],
  io: CliIo,
  body: (args: ParsedArgs<O>) => Promise<number | void> | number | void,
): Promise<number> {
  const usage = spec.usage.endsWith('\n') ? spec.usage : spec.usage + '\n';
  const refuse = (message: string) => {
    io.stderr.write(`${spec.name}: ${message}\n${usage}`);
    return EXIT_USAGE;
  };
  let args: ParsedArgs<O>;
  try {
    args = parseCommandLine(spec, argv);
  } catch (err) {
    return refuse((err as Error).message);
  }
  if ((args.values as { help?: boolean }).help) {
    io.stdout.write(usage);
    return EXIT_OK;
  }
  try {
    return (await body(args)) ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) return refuse(err.message);
    io.stderr.write(`${spec.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}

/**
 * `runCommand` for a script's own argv and stdio. A body that resolves to nothing leaves the
 * process to end by itself (a server keeps serving); any code it returns, and every failure, ends
 * the process with that code.
 */
export function runMain<O extends Options>(spec: CliSpec<O>, body: (args: ParsedArgs<O>) => Promise<number | void> | number | void): void {
  let returned: number | void = undefined;
  void runCommand(spec, process.argv.slice(2), process, async (args) => (returned = await body(args))).then((code) => {
    if (code !== EXIT_OK || returned !== undefined) process.exit(code);
  });
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** `--name` as a number within the rule, or undefined when absent; anything else is a UsageError. */
export function numberArg(value: string | undefined, name: string, rule: NumberRule = {}): number | undefined {
  if (value === undefined) return undefined;
  return checkNumber(value, `--${name}`, rule);
}

/** `--name 100,200,500`: a comma-separated list of numbers, each within the rule. */
export function numberListArg(value: string | undefined, name: string, rule: NumberRule = {}): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((part) => checkNumber(part.trim(), `--${name}`, rule));
}

/** `--name` as one of `choices`, or undefined when absent. */
export function choiceArg<C extends string>(value: string | undefined, name: string, choices: readonly C[]): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${value}"`);
  return value as C;
}

function checkNumber(text: string, flag: string, { min, max, integer }: NumberRule): number {
  // Number() would take '', ' ', '0x10' and '1e3'; a person typing a flag means plain decimals.
  const n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  const kind = integer ? 'an integer' : 'a number';
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` >= ${min}` : max !== undefined ? ` <= ${max}` : '';
  if (Number.isNaN(n) || (integer && !Number.isInteger(n)) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    throw new UsageError(`${flag} must be ${kind}${range}, not "${text}"`);
  }
  return n;
}
