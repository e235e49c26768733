import { MedblocksError } from "@medblocks/connect";

/**
 * Everything the CLI prints goes through here: `--json` for scripts, aligned tables and short
 * lines for people, colour only on a terminal, and one clear line on stderr for an error.
 */

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
}

/** A failure the user can fix; printed as one line, exit code 1 (or the given code). */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
    /** A machine-readable code for `--json` and the start of the line, e.g. `no_matching_signature`. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const useColour = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColour() ? `\u001b[${code}m${text}\u001b[0m` : text);
export const bold = paint(1);
export const dim = paint(2);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON document per line, for output that streams (`listen --json`). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Prints `value` as JSON with --json, else whatever `human` writes. */
export function emit(options: OutputOptions, value: unknown, human: () => void): void {
  if (options.json) printJson(value);
  else human();
}

// eslint-disable-next-line no-control-regex
const visibleLength = (text: string) => text.replace(/\u001b\[\d+m/g, "").length;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => visibleLength(row[column] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + " ".repeat(widths[column]! - visibleLength(cell))))
      .join("  ")
      .trimEnd();
  return [bold(line(headers)), ...rows.map(line)].join("\n");
}

/** `Label  value` lines, labels aligned, for one object. */
export function details(rows: [label: string, value: string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${dim(label.padEnd(width))}  ${value}`).join("\n");
}

/** Writes lines of human output. */
export function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `3m ago`, `in 2h`, for people reading a listing. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const delta = Date.parse(iso) - now;
  const abs = Math.abs(delta);
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1_000, "s"],
  ];
  const [size, unit] = units.find(([size]) => abs >= size) ?? [1_000, "s"];
  const amount = `${Math.floor(abs / size)}${unit}`;
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

/** The `--json` shape of a failure: the API's error fields when there are some. */
function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof MedblocksError) {
    return { type: error.type, code: error.code, message: error.message, param: error.param, status: error.statusCode ?? null, request_id: error.requestId };
  }
  if (error instanceof CliError) return { ...(error.code !== undefined && { code: error.code }), message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

/** One line for people: `code: message (param: x)`, the request id when the service gave one. */
function errorLine(error: unknown): string {
  if (error instanceof MedblocksError) {
    const param = error.param ? ` (param: ${error.param})` : "";
    const requestId = error.requestId ? dim(` [${error.requestId}]`) : "";
    return `${error.code}: ${error.message}${param}${requestId}`;
  }
  if (error instanceof CliError && error.code !== undefined) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function reportError(error: unknown, options: OutputOptions): number {
  const exitCode = error instanceof CliError ? error.exitCode : 1;
  // An error message from a server may span lines; the report stays one line.
  if (options.json) process.stderr.write(`${JSON.stringify({ error: errorJson(error) })}\n`);
  else process.stderr.write(`${red("error")}: ${errorLine(error).replace(/\s*\n\s*/g, " ")}\n`);
  if (options.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCode;
}
