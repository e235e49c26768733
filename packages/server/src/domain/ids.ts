import { monotonicFactory } from "ulid";

/** Every id the service mints is a prefix and a 26-character ULID, so ids sort by creation time. */
export const ID_PREFIXES = {
  org: "org",
  key: "key",
  wh: "wh",
  evt: "evt",
  att: "att",
  req: "req",
  wkr: "wkr",
} as const;
export type IdPrefix = keyof typeof ID_PREFIXES;

const ulid = monotonicFactory();
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${ulid(now)}`;
}

/** True when `value` is a well-formed id with that prefix; anything else can never name a row. */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length === prefix.length + 27 &&
    value.startsWith(`${prefix}_`) &&
    ULID.test(value.slice(prefix.length + 1))
  );
}
