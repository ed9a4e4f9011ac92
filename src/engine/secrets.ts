/**
 * Secrets the store must read back are sealed at rest. A TOTP shared secret is the one such secret today: a code is
 * checked against it, so it cannot be hashed like passwords (argon2id) and tokens (SHA-256). It is sealed with
 * AES-256-GCM under the hub's secrets key, with the row it belongs to as associated data (a sealed value copied to
 * another operator does not open), and written as `sealed:v1:<key id>:<iv>:<ciphertext+tag>` (base64url).
 *
 * The key is TOLEM_SECRETS_KEY (base64 of 32 bytes) or, when unset, `secrets.key` in the data directory, created once
 * (mode 0600). Several instances on one database must all be given the same TOLEM_SECRETS_KEY: each would otherwise
 * make its own key file, and the secrets one sealed would not open on the others. The key id (a keyed hash of the key,
 * never the key) says in the log which key sealed a value that does not open.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PREFIX = 'sealed:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE = 'secrets.key';

/** What the box logs: a pino Logger fits. Never given a secret. */
export interface SecretsLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** A sealed value that does not open under this key: another key sealed it, or it was altered. */
export class SecretKeyError extends Error {
  constructor(readonly sealedUnder: string, readonly keyId: string) {
    super(sealedUnder === keyId
      ? `a sealed secret does not open under key ${keyId}: it was altered`
      : `a secret sealed under key ${sealedUnder} does not open under this instance's key ${keyId}`);
    this.name = 'SecretKeyError';
  }
}

export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer, readonly log: SecretsLog) {
    if (key.length !== KEY_BYTES) throw new Error(`a secrets key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.keyId = createHmac('sha256', key).update('tolem secrets key id').digest('hex').slice(0, 12);
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  /** The key id a stored value was sealed under; undefined for a value still in clear. */
  static sealedUnder(stored: string): string | undefined {
    return SecretBox.isSealed(stored) ? stored.slice(PREFIX.length).split(':')[0] : undefined;
  }

  /** `context` names where the value lives (table, column, row): the same context is needed to open it. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.keyId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  /** The clear value; a value stored before sealing existed is returned as it is. Throws SecretKeyError. */
  open(stored: string, context: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const [sealedUnder = '', ivText = '', bodyText = ''] = stored.slice(PREFIX.length).split(':');
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (sealedUnder !== this.keyId || iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretKeyError(sealedUnder, this.keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(sealedUnder, this.keyId);
    }
  }

  /**
   * `open`, or undefined with the reason in the log (which key sealed it, which key this instance has; never the
   * value): the caller refuses what needed the secret as it refuses a wrong credential, and the hub runs on.
   */
  openOrReport(stored: string, context: string, what: object): string | undefined {
    try {
      return this.open(stored, context);
    } catch (error) {
      if (!(error instanceof SecretKeyError)) throw error;
      this.log.error({ ...what, sealedUnder: error.sealedUnder, keyId: error.keyId },
        `${error.message}: TOLEM_SECRETS_KEY (or TOLEM_DATA/${KEY_FILE}) is not the key that sealed it; every instance on one database needs the same TOLEM_SECRETS_KEY`);
      return undefined;
    }
  }
}

export interface SecretsKeySource {
  /** TOLEM_SECRETS_KEY, decoded; undefined when unset. */
  secretsKey: Buffer | undefined;
  /** TOLEM_DATA: where the key file lives when no key is configured (`memory://…`: a key for this process only). */
  dataDir: string;
}

/** The hub's secrets key: configured, or the data directory's key file (made on the first start). */
export function openSecretBox(source: SecretsKeySource, log: SecretsLog): SecretBox {
  if (source.secretsKey) return new SecretBox(source.secretsKey, log);
  if (source.dataDir.startsWith('memory://')) {
    // An in-memory store ends with its process; its secrets need no key that outlives it (tests, demos).
    return new SecretBox(randomBytes(KEY_BYTES), log);
  }
  return new SecretBox(keyFile(join(source.dataDir, KEY_FILE), log), log);
}

/** Whether this configuration should be told to set TOLEM_SECRETS_KEY: a server database that other instances may share. */
export function keyFileOnSharedStore(config: SecretsKeySource & { databaseUrl: string | undefined }): boolean {
  return config.secretsKey === undefined && config.databaseUrl !== undefined && !config.dataDir.startsWith('memory://');
}

/**
 * Reads the key file, creating it first when there is none. A new key is written to a file of its own and linked into
 * place, so two processes starting together both end up reading the one that won, never a half-written file.
 */
function keyFile(path: string, log: SecretsLog): Buffer {
  mkdirSync(dirname(path), { recursive: true });
  try {
    statSync(path);
  } catch {
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) log.warn({ path }, 'the secrets key file is readable by others than its owner: chmod 600 it');
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${path} does not hold the base64 of ${KEY_BYTES} bytes`);
  return key;
}
