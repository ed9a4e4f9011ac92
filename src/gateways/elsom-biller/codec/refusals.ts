/**
 * Elsom biller codec — Internal: how a reader refuses a document. Thrown by the readers, turned into a result by decodeElsomRequest /
 * decodeElsomResponse; never escapes the codec.
 */
import { type ElsomDecodeReason } from './messages.ts';
import { ELSOM_RESULT, type ElsomResultCode } from './tables.ts';

/** Internal: thrown by the readers, turned into a result at the public boundary. Never escapes this module. */
export class ElsomRefusal extends Error {
  constructor(
    readonly reason: ElsomDecodeReason,
    readonly detail: string,
    readonly resultCode: ElsomResultCode = ELSOM_RESULT.BAD_REQUEST,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function refuse(reason: ElsomDecodeReason, detail: string, resultCode?: ElsomResultCode): never {
  throw new ElsomRefusal(reason, detail, resultCode);
}
