/**
 * Elsom biller codec — Internal: how a reader refuses a document. The readers are deep recursive walks, so a refusal
 * is thrown from where it is found and caught at the codec's two boundaries (decodeElsomRequest, decodeElsomResponse),
 * which return it as the one failure shape `{ ok: false, failure }`; it never escapes the codec.
 */
import { type ElsomDecodeFailure, type ElsomDecodeReason } from './messages.ts';
import { ELSOM_RESULT, type ElsomResultCode } from './tables.ts';

/** Internal: thrown by the readers, turned into a result at the public boundary. Never escapes this module. */
export class ElsomRefusal extends Error {
  readonly failure: ElsomDecodeFailure;

  constructor(kind: ElsomDecodeReason, detail: string, resultCode: ElsomResultCode = ELSOM_RESULT.BAD_REQUEST) {
    super(`${kind}: ${detail}`);
    this.failure = { kind, detail, resultCode };
  }
}

export function refuse(reason: ElsomDecodeReason, detail: string, resultCode?: ElsomResultCode): never {
  throw new ElsomRefusal(reason, detail, resultCode);
}
