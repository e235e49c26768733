import { randomFillSync } from "node:crypto";
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

/**
 * ulid draws its randomness one byte per character, 16 calls per id, and by default each call asks
 * the OS for a single byte. Drawing the bytes in blocks gives the same CSPRNG bytes at a fraction
 * of the cost: ids are minted on the hot paths (every event published, every attempt recorded).
 */
const randomBytes = new Uint8Array(4096);
let nextRandomByte = randomBytes.length;
function randomFraction(): number {
  if (nextRandomByte === randomBytes.length) {
    randomFillSync(randomBytes);
    nextRandomByte = 0;
  }
  // A byte over 256 is uniform over ulid's 32 characters (it keeps the top five bits).
  return randomBytes[nextRandomByte++]! / 256;
}

const ulid = monotonicFactory(randomFraction);
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
