/** Byte/text encodings used by signing and verification. Web-standard globals only. */

const HEX_DIGITS = "0123456789abcdef";
const HEX_CODES = Uint8Array.from(HEX_DIGITS, (digit) => digit.charCodeAt(0));

// -1 marks a character that is not a hex digit; both cases are accepted.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUE[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}

/** Lowercase hex of `bytes`, meant for short values such as MACs. */
export function encodeHex(bytes: Uint8Array): string {
  // One string built from char codes: cheaper than 2n concatenations for MAC-sized input.
  const codes = new Array<number>(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    codes[2 * i] = HEX_CODES[bytes[i]! >> 4]!;
    codes[2 * i + 1] = HEX_CODES[bytes[i]! & 15]!;
  }
  return String.fromCharCode(...codes);
}

/**
 * Decodes hex into bytes, or `null` when `hex` is not exactly `byteLength` bytes of hex digits.
 * An early `null` only reveals facts about the attacker-supplied string, never about the secret.
 */
export function decodeHex(hex: string, byteLength: number): Uint8Array | null {
  const out = new Uint8Array(byteLength);
  return decodeHexInto(hex, out) ? out : null;
}

/** Decodes hex into `out` (all of it); false when `hex` is not exactly `out.length` bytes of hex. */
export function decodeHexInto(hex: string, out: Uint8Array): boolean {
  const byteLength = out.length;
  if (hex.length !== byteLength * 2) return false;
  for (let i = 0; i < byteLength; i++) {
    const hiCode = hex.charCodeAt(2 * i);
    const loCode = hex.charCodeAt(2 * i + 1);
    const hi = hiCode < 128 ? HEX_VALUE[hiCode]! : -1;
    const lo = loCode < 128 ? HEX_VALUE[loCode]! : -1;
    if ((hi | lo) < 0) return false;
    out[i] = (hi << 4) | lo;
  }
  return true;
}

/** Standard (padded) base64 of `bytes`. Meant for short values such as MACs and keys. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

/** Decodes standard base64 (padding optional); throws on characters outside the alphabet. */
export function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError("not standard base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 strictly (throws `TypeError` on invalid sequences); a leading BOM is dropped. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}
