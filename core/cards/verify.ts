/**
 * The QR code of a card carries a signed token, not the holder's ID number: whoever scans it
 * learns the event, the card and its version — and whether the office issued it, checked with the
 * public key alone (a gate app offline), or its current state asked of the server.
 *
 * Token (format 1), base64url without padding, no dots (it is also a URL path segment):
 *
 *   payload   = 0x01 | varint(len) event code (UTF-8) | varint card id | varint card version
 *               | varint(len) card number (UTF-8)          (varint: unsigned LEB128)
 *   token     = base64url(payload | Ed25519 signature of payload (64 bytes))
 *
 * About 115 characters for `EXPO2026`/`VIP-00001`: a version-7 QR code at level M.
 */
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import type { SigningKeys } from '../crypto/secrets.ts';
import type { VerifyKey } from './views.ts';

export interface TokenPayload {
  eventCode: string;
  cardId: number;
  cardVersion: number;
  cardNumber: string;
}

const FORMAT = 1;
const SIGNATURE_BYTES = 64;
/** Longer than any token this code makes; longer input is not even decoded. */
const MAX_TOKEN_CHARS = 600;

export const TOKEN_FORMAT =
  'base64url(payload ‖ sig), sig = Ed25519(payload) 64 字节；payload = 0x01 ‖ varint(len) 活动代码 UTF-8 ‖ ' +
  'varint 证件 id ‖ varint 版本 ‖ varint(len) 证件编号 UTF-8（varint 为无符号 LEB128）。' +
  '二维码内容为令牌本身，或 <系统网址>/v/<令牌>。';

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Reads a varint at `at`; null past the end or beyond 2^53. */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 8; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) return null;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    scale *= 0x80;
  }
  return null;
}

export function encodePayload(p: TokenPayload): Buffer {
  const out: number[] = [FORMAT];
  const event = Buffer.from(p.eventCode, 'utf8');
  writeVarint(out, event.length);
  out.push(...event);
  writeVarint(out, p.cardId);
  writeVarint(out, p.cardVersion);
  const number = Buffer.from(p.cardNumber, 'utf8');
  writeVarint(out, number.length);
  out.push(...number);
  return Buffer.from(out);
}

function decodePayload(bytes: Uint8Array): TokenPayload | null {
  if (bytes[0] !== FORMAT) return null;
  const text = (at: number) => {
    const len = readVarint(bytes, at);
    if (!len || len.next + len.value > bytes.length) return null;
    return {
      value: Buffer.from(bytes.subarray(len.next, len.next + len.value)).toString('utf8'),
      next: len.next + len.value,
    };
  };
  const event = text(1);
  if (!event) return null;
  const cardId = readVarint(bytes, event.next);
  if (!cardId) return null;
  const cardVersion = readVarint(bytes, cardId.next);
  if (!cardVersion) return null;
  const number = text(cardVersion.next);
  if (!number || number.next !== bytes.length) return null;
  return {
    eventCode: event.value,
    cardId: cardId.value,
    cardVersion: cardVersion.value,
    cardNumber: number.value,
  };
}

/** Splits a token into payload and signature; null when it cannot be a token. */
function split(token: string): { payload: Buffer; signature: Buffer; fields: TokenPayload } | null {
  const clean = token.trim();
  if (clean.length === 0 || clean.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(clean)) return null;
  const bytes = Buffer.from(clean, 'base64url');
  if (bytes.length <= SIGNATURE_BYTES + 1) return null;
  const payload = bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  const fields = decodePayload(payload);
  if (!fields) return null;
  return { payload, signature: bytes.subarray(bytes.length - SIGNATURE_BYTES), fields };
}

/**
 * Checks a token with the public key alone (what a gate app does offline): the payload when the
 * signature holds, else null. Needs nothing of Tessera but this function and the key's JWK.
 */
export function verifyTokenOffline(token: string, jwk: VerifyKey['jwk']): TokenPayload | null {
  const parts = split(token);
  if (!parts) return null;
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  return verify(null, parts.payload, key, parts.signature) ? parts.fields : null;
}

/** Signs card tokens with the office's key and checks them. */
export class CardSigner {
  private loaded: { keys: SigningKeys; jwk: VerifyKey['jwk']; keyId: string } | undefined;

  /**
   * `load` runs on first use: a command that never signs (a backup, a restore into an empty
   * folder) does not create a key file.
   */
  constructor(private readonly load: SigningKeys | (() => SigningKeys)) {}

  private get key() {
    if (!this.loaded) {
      const keys = typeof this.load === 'function' ? this.load() : this.load;
      const jwk = keys.publicKey.export({ format: 'jwk' }) as { x?: string };
      const publicJwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: String(jwk.x) };
      // A short, stable name for the key: gate apps holding several keys pick the right one.
      const keyId = createHash('sha256')
        .update(Buffer.from(publicJwk.x, 'base64url'))
        .digest('base64url')
        .slice(0, 11);
      this.loaded = { keys, jwk: publicJwk, keyId };
    }
    return this.loaded;
  }

  /** The token of a card (Ed25519 is deterministic: the same card always gets the same token). */
  sign(p: TokenPayload): string {
    const payload = encodePayload(p);
    return Buffer.concat([payload, sign(null, payload, this.key.keys.privateKey)]).toString('base64url');
  }

  /** The payload of a token this office signed; null for anything else. */
  open(token: string): TokenPayload | null {
    const parts = split(token);
    if (!parts) return null;
    return verify(null, parts.payload, this.key.keys.publicKey, parts.signature) ? parts.fields : null;
  }

  publicKey(): VerifyKey {
    const { keyId, jwk } = this.key;
    return { algorithm: 'Ed25519', keyId, jwk: { ...jwk }, format: TOKEN_FORMAT };
  }
}

/** What the QR code holds: `<publicUrl>/v/<token>`, or the token itself when no address is set. */
export function verifyUrlOf(token: string, publicUrl: string | undefined): string {
  return publicUrl ? `${publicUrl}/v/${token}` : token;
}
