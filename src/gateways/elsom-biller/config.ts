/**
 * The Elsom biller gateway's own settings, from the environment (see README: "Connecting a real Elsom terminal"), read
 * with every other variable by src/config.ts (ELSOM_MAX_BYTES defaults to the codec's ELSOM_DEFAULT_MAX_BYTES).
 */
export interface ElsomConfig {
  /** Where Elsom POSTs its XML (ELSOM_PATH, default /elsom). */
  path: string;
  /** Elsom's wall clock, for every date on the wire (ELSOM_TZ, default +06:00: Kyrgyzstan, no DST). */
  utcOffsetMinutes: number;
  /** Larger request bodies are refused with 202 before they are read (ELSOM_MAX_BYTES, default 64 KiB). */
  maxBytes: number;
}

/** The wallet simulator's retry rule (spec §2.2: five repeats, ten seconds apart) and its credentials for the sandbox. */
export interface ElsomWalletConfig {
  retries: number;
  retryIntervalMs: number;
  /** How long the wallet waits for one answer before it counts the attempt as unanswered. */
  requestTimeoutMs: number;
  terminalId: string;
  login: string;
  password: string;
}
