import { InvalidArgumentError } from "commander";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time as people type it: an ISO date or date-time (`2026-04-25`, `2026-04-25T14:00:00Z`),
 * unix seconds (`1777132800`), or a span back from now (`30m`, `2h`, `7d`, `1w`, optionally `… ago`).
 * Returns the ISO string the API takes.
 */
export function parseTimeInput(value: string, now: number = Date.now()): string {
  const text = value.trim();
  const span = /^(\d+)\s*([smhdw])(?:\s+ago)?$/i.exec(text);
  if (span) return new Date(now - Number(span[1]) * UNITS[span[2]!.toLowerCase()]!).toISOString();
  if (/^\d{9,11}$/.test(text)) return new Date(Number(text) * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString();
  }
  throw new InvalidArgumentError("Expected an ISO time (2026-04-25T14:00:00Z), unix seconds, or a span back from now (30m, 2h, 7d).");
}

/** Commander argument parser for an integer within bounds. */
export function integerIn(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** Commander collector for a repeatable option. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `a,b c` → `["a", "b", "c"]`: lists on the command line, comma- or space-separated. */
export const splitList = (values: string | string[]): string[] =>
  (Array.isArray(values) ? values : [values]).flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
