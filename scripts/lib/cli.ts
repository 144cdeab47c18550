/**
 * What every operator script shares: option parsing on `node:util`'s parseArgs, `--help` text
 * generated from the same option list, durations like `10m`, and one error path that prints a
 * message saying how to fix the problem and exits with the script's documented code.
 */

import { parseArgs } from "node:util";

/** Wrong flags or missing configuration: exit 2 with a hint to `--help`. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure with a chosen exit code and a message that already says how to fix it. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface OptionSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** Shown in --help after the flag, e.g. "<url>". */
  placeholder?: string;
  description: string;
  /** Shown in --help; applied by the script itself (so env vars can sit between flag and default). */
  defaultText?: string;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  options: OptionSpec[];
  env?: Array<[string, string]>;
  exitCodes?: Array<[number, string]>;
  examples?: string[];
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommandLine {
  values: ParsedValues;
  positionals: string[];
  help: boolean;
}

const HELP: OptionSpec = { name: "help", short: "h", type: "boolean", description: "show this help and exit" };

export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const o of [...spec.options, HELP]) {
    options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: values as ParsedValues, positionals, help: values.help === true };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new UsageError(text.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

export function formatHelp(spec: CommandSpec): string {
  const lines: string[] = [`${spec.name}: ${spec.summary}`, "", `Usage: ${spec.usage}`];
  if (spec.description) lines.push("", spec.description);
  lines.push("", "Options:");
  const rows = [...spec.options, HELP].map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.placeholder ? ` ${o.placeholder}` : ""}`;
    const text = `${o.description}${o.defaultText ? ` (default: ${o.defaultText})` : ""}`;
    return [flag, text] as const;
  });
  const width = Math.min(40, Math.max(...rows.map(([f]) => f.length)) + 2);
  // A flag longer than the column gets its description on the next line.
  for (const [flag, text] of rows) {
    if (flag.length >= width) lines.push(`  ${flag}`, `  ${"".padEnd(width)}${text}`);
    else lines.push(`  ${flag.padEnd(width)}${text}`);
  }
  if (spec.env?.length) {
    lines.push("", "Environment:");
    const w = Math.max(...spec.env.map(([n]) => n.length)) + 2;
    for (const [name, text] of spec.env) lines.push(`  ${name.padEnd(w)}${text}`);
  }
  if (spec.exitCodes?.length) {
    lines.push("", "Exit codes:");
    for (const [code, text] of spec.exitCodes) lines.push(`  ${code}  ${text}`);
  }
  if (spec.examples?.length) {
    lines.push("", "Examples:");
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Runs a script's main: `--help` prints the help and exits 0; a UsageError exits 2 with a hint;
 * a CliError exits with its code; anything else exits 1 with its message (no stack unless
 * FLASH_DEBUG is set).
 */
export async function runCli(spec: CommandSpec, main: (cmd: ParsedCommandLine) => Promise<number>, argv = process.argv.slice(2)): Promise<void> {
  let code: number;
  try {
    const cmd = parseCommandLine(spec, argv);
    if (cmd.help) {
      process.stdout.write(formatHelp(spec));
      code = 0;
    } else {
      code = await main(cmd);
    }
  } catch (error) {
    code = reportError(spec, error);
  }
  process.exitCode = code;
}

export function reportError(spec: Pick<CommandSpec, "name">, error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`${spec.name}: ${error.message}\nRun \`npm run ${spec.name} -- --help\` for the options.\n`);
    return 2;
  }
  if (error instanceof CliError) {
    process.stderr.write(`${spec.name}: ${error.message}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? `${error.message}${process.env.FLASH_DEBUG && error.stack ? `\n${error.stack}` : ""}` : String(error);
  process.stderr.write(`${spec.name}: ${text}\n`);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Values

/** "90", "90s", "500ms", "10m", "1h", "1m30s" -> seconds. */
export function parseDuration(text: string, flag = "duration"): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(trimmed); match; match = re.exec(trimmed)) {
    const n = Number(match[1]);
    total += match[2] === "ms" ? n / 1000 : match[2] === "s" ? n : match[2] === "m" ? n * 60 : n * 3600;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a duration: use e.g. 30s, 10m, 1h, 1m30s or 500ms`);
  }
  return total;
}

export function parseNumber(text: string, flag: string, { min = -Infinity, max = Infinity, integer = false } = {}): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range = `${Number.isFinite(min) ? min : "-inf"}..${Number.isFinite(max) ? max : "inf"}`;
    throw new UsageError(`--${flag} ${JSON.stringify(text)} must be ${integer ? "an integer" : "a number"} in ${range}`);
  }
  return n;
}

/** "5,25,50,75,100" -> [5, 25, 50, 75, 100] */
export function parseNumberList(text: string, flag: string): number[] {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new UsageError(`--${flag} needs a comma-separated list, e.g. 5,25,50,75,100`);
  return parts.map((p) => parseNumber(p, flag));
}

export function stringValue(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function flag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}
