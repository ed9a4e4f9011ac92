/**
 * Password hashing for operators and cabinet users: argon2id (@node-rs/argon2's default algorithm) with its default
 * cost, stored as a PHC string. A login that names nobody is checked against a dummy hash all the same, so the time of
 * an answer does not tell which logins exist.
 */
import { hash, verify } from '@node-rs/argon2';
import { ServiceError } from './errors.ts';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** A refused login, password or account change (a ServiceError: the admin API answers 400, 404 or 409). */
export class CredentialError extends ServiceError {
  constructor(code: 'weak_password' | 'bad_login' | 'login_taken' | 'not_found', message: string) {
    super(code === 'not_found' ? 'not_found' : code === 'login_taken' ? 'conflict' : 'invalid', code, message);
  }
}

export function checkPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) throw new CredentialError('weak_password', `a password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) throw new CredentialError('weak_password', `a password has at most ${PASSWORD_MAX_LENGTH} characters`);
}

/** Logins are compared lowercased: "Admin" and "admin" are one person. */
export function normaliseLogin(login: string): string {
  const normalised = login.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._@-]{0,63}$/.test(normalised)) {
    throw new CredentialError('bad_login', 'a login is 1-64 letters, digits or . _ @ - and starts with a letter or digit');
  }
  return normalised;
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordPolicy(password);
  return hash(password);
}

let dummyHash: Promise<string> | undefined;

/** Whether the password matches the stored hash; with no hash (unknown login) a dummy one is checked and false returned. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH) return false;
  dummyHash ??= hash('not a password of anyone, only time spent');
  const target = stored ?? (await dummyHash);
  let matches = false;
  try {
    matches = await verify(target, password);
  } catch {
    matches = false; // a malformed stored hash opens nothing
  }
  return stored ? matches : false;
}
