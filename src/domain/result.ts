/**
 * The one failure shape of the partner folders (issue 9, item 5): every codec, mapping and client that can fail says
 * so as `{ ok: false, failure: { kind, detail } }`, never by throwing and never under another field name. `kind` is
 * what a caller switches on (a closed union per partner: 'missing_field', 'too-large', …); `detail` is what a person
 * reads — which field, which value — and is safe to log and to send back (never a secret, never a stack trace). A
 * partner adds the fields its protocol needs to its own failures (Elsom's result code, the echo of a refused request).
 * A decline is not a failure: it is a partner's answer and stays data of that answer.
 */
export interface Failure<K extends string = string> {
  readonly kind: K;
  readonly detail: string;
}

/** The failure branch alone, for results whose success carries more than one field (`{ ok: true, request, charset }`). */
export interface Failed<F extends Failure = Failure> {
  readonly ok: false;
  readonly failure: F;
}

export type Result<T, F extends Failure = Failure> = { readonly ok: true; readonly value: T } | Failed<F>;

export function succeed<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<K extends string>(kind: K, detail: string): { ok: false; failure: Failure<K> } {
  return { ok: false, failure: { kind, detail } };
}
