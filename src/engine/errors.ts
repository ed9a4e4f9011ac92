/**
 * A refusal of an operator-side service, as data the admin API and the CLI answer with: `kind` says which HTTP status
 * it is (invalid → 400, unauthorized → 401, forbidden → 403, not_found → 404, conflict → 409), `code` is the stable name, the message is
 * for people and never carries a secret.
 */
export type ServiceErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict';

export class ServiceError extends Error {
  constructor(
    readonly kind: ServiceErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
