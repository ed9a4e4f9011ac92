/** The simulated Elsom merchant account: the checkout's sandbox configuration uses exactly these. */
export const ELSOM_MERCHANT_SANDBOX_ACCOUNT = {
  tenantId: '1',
  merchantWallet: '0555000100',
  partnerCode: '00609',
  password: 'sandbox-elsom-pass',
} as const;
