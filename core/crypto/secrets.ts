import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Keys for personal data: one for AES-256-GCM encryption, one for the keyed lookup hash. */
export interface DataKeys {
  encryptionKey: Buffer;
  hashKey: Buffer;
}

const fromBase64 = (value: string, name: string): Buffer => {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error(`${name} 必须是 32 字节的 base64 (got ${key.length} bytes)`);
  return key;
};

/**
 * TESSERA_ENCRYPTION_KEY / TESSERA_HASH_KEY (base64, 32 bytes each) when set — production keeps
 * them outside the data folder; otherwise generated once into <data>/secrets.json (mode 600).
 * Losing these keys makes the stored ID numbers unreadable: backups must include them.
 */
export function loadDataKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): DataKeys {
  if (env.TESSERA_ENCRYPTION_KEY && env.TESSERA_HASH_KEY) {
    return {
      encryptionKey: fromBase64(env.TESSERA_ENCRYPTION_KEY, 'TESSERA_ENCRYPTION_KEY'),
      hashKey: fromBase64(env.TESSERA_HASH_KEY, 'TESSERA_HASH_KEY'),
    };
  }
  const file = path.join(dataDir, 'secrets.json');
  let stored: { encryptionKey: string; hashKey: string };
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } catch {
    mkdirSync(dataDir, { recursive: true });
    stored = {
      encryptionKey: randomBytes(32).toString('base64'),
      hashKey: randomBytes(32).toString('base64'),
    };
    // 'wx': if another process wrote it first, use theirs.
    try {
      writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
    } catch {
      stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    }
  }
  return {
    encryptionKey: fromBase64(stored.encryptionKey, 'secrets.json encryptionKey'),
    hashKey: fromBase64(stored.hashKey, 'secrets.json hashKey'),
  };
}

/** The Ed25519 key pair that signs the QR tokens of cards (core/cards/verify.ts). */
export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const signingKeysFrom = (pkcs8Base64: string, name: string): SigningKeys => {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error(`${name} 不是有效的 Ed25519 私钥（PKCS#8 DER 的 base64）`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${name} 不是 Ed25519 私钥`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
};

/**
 * The card-signing key: TESSERA_VERIFY_KEY (base64 PKCS#8 DER) when set, else generated once into
 * <data>/verify-key.json (mode 600) beside secrets.json. A file of its own, created with `wx` like
 * secrets.json, so two processes starting together agree on one key. It is backed up with the
 * other stored files: losing it would make every printed QR code unverifiable.
 */
export function loadSigningKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): SigningKeys {
  if (env.TESSERA_VERIFY_KEY) return signingKeysFrom(env.TESSERA_VERIFY_KEY, 'TESSERA_VERIFY_KEY');
  const file = path.join(dataDir, 'verify-key.json');
  let stored: { privateKey: string };
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    stored = { privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
    try {
      writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
    } catch {
      stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    }
  }
  return signingKeysFrom(stored.privateKey, 'verify-key.json privateKey');
}
