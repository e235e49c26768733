/** ULIDs (26 characters, Crockford base32): 48 bits of milliseconds, then 80 random bits. */

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MAX_TIME = 2 ** 48 - 1;

/** A new ULID for time `now` (ms since the epoch). Randomness comes from `crypto.getRandomValues`. */
export function newUlid(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) throw new RangeError(`ULID time out of range: ${now}`);
  let time = "";
  for (let i = 0, t = now; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;

  // 80 bits = 16 characters of 5 bits; read them off 10 random bytes, most significant first.
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let random = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += CROCKFORD[(buffer >> bits) & 31]!;
    }
    buffer &= (1 << bits) - 1;
  }
  return time + random;
}

/** Decodes the millisecond timestamp of a ULID. */
export function ulidTime(ulid: string): number {
  let time = 0;
  for (let i = 0; i < 10; i++) {
    const value = CROCKFORD.indexOf(ulid[i]!.toUpperCase());
    if (value === -1) throw new TypeError(`not a ULID: ${ulid}`);
    time = time * 32 + value;
  }
  return time;
}
