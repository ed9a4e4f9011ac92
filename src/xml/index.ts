/** Shared XML: one reading policy (no DTD, no entity expansion), charset detection, one writer with partner styles. */
export { isXmlChar } from './chars.ts';
export * from './charset.ts';
export * from './read.ts';
export * from './write.ts';
