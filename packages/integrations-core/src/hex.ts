/**
 * Lowercase hex of bytes (digests, signatures). A lookup table instead of `toString(16).padStart` per byte: the token
 * hash runs on every authenticated request, and the per-byte string methods cost more than the SHA-256 itself there
 * (`pnpm bench`).
 */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * The runtime's own `Uint8Array.prototype.toHex` / `Uint8Array.fromHex` (TC39 "Uint8Array to/from base64 and hex",
 * shipped in workerd's V8), else the table below: the Node 24.9 that runs unit tests has neither.
 */
const nativeToHex = (Uint8Array.prototype as { toHex?: (this: Uint8Array) => string }).toHex;
const nativeFromHex = (Uint8Array as { fromHex?: (hex: string) => Uint8Array<ArrayBuffer> }).fromHex;

/** `bytes` as lowercase hex, two characters per byte. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (nativeToHex) return nativeToHex.call(view);
  let out = '';
  for (let i = 0; i < view.length; i++) out += BYTE_HEX[view[i]!];
  return out;
}

/** Bytes of a hex string (either case), or null when it is not an even-length run of hex digits. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return null;
  if (nativeFromHex) return nativeFromHex(hex);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
