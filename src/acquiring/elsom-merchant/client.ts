import { describeFailure, httpRequest } from '../../http/client.ts';
import {
  ELSOM_CONTENT_TYPE,
  decodeElsomGetPaymentStatusResponse,
  decodeElsomIaInitResponse,
  elsomGenerateOtpPath,
  encodeElsomGetPaymentStatus,
  encodeElsomIaInit,
  type ElsomIaInitAnswer,
  type ElsomStatusAnswer,
  type PageLanguage,
} from './codec.ts';
import { elsomGetPaymentStatusRequest, elsomIaInitRequest } from './mapping.ts';

/** Our Elsom merchant account (see src/checkout/README.md, "Configuring real … Elsom merchant credentials"). */
export interface ElsomMerchantClientConfig {
  /** https://<host>:<port> as Elsom gives it (no trailing slash); a function when only known once the server listens (sandbox). */
  baseUrl: string | (() => string);
  tenantId: string;
  /** PmSISDN / the MSISDN of status requests: the merchant's wallet. */
  merchantWallet: string;
  partnerCode: string;
  password: string;
  /**
   * The status method's path. The spec gives the body of PartnerGetPaymentStatus but not its URL; the default is
   * our guess beside generateOTP and must be confirmed with Elsom.
   */
  statusPath: string;
  timeoutMs: number;
}

/** Transport for IA_Init and PartnerGetPaymentStatus. Never throws for a partner failure: it is data. */
export class ElsomMerchantClient {
  constructor(private readonly config: ElsomMerchantClientConfig) {}

  async iaInit(input: { partnerTrnId: string; amountMinor: bigint; pageLanguage: PageLanguage; chequeNo?: string; udf?: string }): Promise<ElsomIaInitAnswer> {
    const request = elsomIaInitRequest({
      pageLanguage: input.pageLanguage, pmsisdn: this.config.merchantWallet, partnerCode: this.config.partnerCode,
      password: this.config.password, partnerTrnId: input.partnerTrnId, amountMinor: input.amountMinor,
      ...(input.chequeNo !== undefined ? { chequeNo: input.chequeNo } : {}), ...(input.udf !== undefined ? { udf: input.udf } : {}),
    });
    const answer = await this.post(elsomGenerateOtpPath(this.config.tenantId), encodeElsomIaInit(request));
    return answer.kind === 'body' ? decodeElsomIaInitResponse(answer.text) : { kind: 'unreadable', detail: answer.detail };
  }

  async paymentStatus(partnerTrnId: string, pageLanguage: PageLanguage): Promise<ElsomStatusAnswer> {
    const request = elsomGetPaymentStatusRequest({ pageLanguage, msisdn: this.config.merchantWallet, partnerTrnId, password: this.config.password });
    const path = this.config.statusPath.replace('{tenant-id}', encodeURIComponent(this.config.tenantId));
    const answer = await this.post(path, encodeElsomGetPaymentStatus(request));
    return answer.kind === 'body' ? decodeElsomGetPaymentStatusResponse(answer.text) : { kind: 'unreadable', detail: answer.detail };
  }

  private async post(path: string, body: string): Promise<{ kind: 'body'; text: string } | { kind: 'failed'; detail: string }> {
    const result = await httpRequest({
      url: `${typeof this.config.baseUrl === 'function' ? this.config.baseUrl() : this.config.baseUrl}${path}`,
      headers: { 'content-type': ELSOM_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(this.config.timeoutMs),
      maxResponseBytes: 64 * 1024,
    });
    if (result.kind !== 'response') return { kind: 'failed', detail: describeFailure(result) };
    if (result.status !== 200) return { kind: 'failed', detail: `HTTP ${result.status}` };
    return { kind: 'body', text: result.body.toString('utf8') };
  }
}
