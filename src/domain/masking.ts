/**
 * The one masker of partner messages: what an operator may read of a request or an answer, with every secret gone.
 * It works by field name on the text as sent, whatever the format — JSON (`"Password": "…"`), the PHP-array notation
 * of Elsom's spec (`"Password" => "…"`), XML and SOAP elements and attributes (`<Password>…</Password>`,
 * `<extra name="password-md5">…</extra>`), form and query fields (`Password=…`) and Assist's `key: value` answers —
 * and leaves every other byte in place, so the stored body reads as the partner's own.
 *
 * Three rules: a secret (passwords, tokens, signatures and hashes, OTP codes) becomes `***`, whatever its length; a
 * card number keeps its first six and last four digits; a CVV/CVC is removed (an empty value). Logins, accounts and
 * amounts stay: they are what an operator looks for.
 */
export type SecretRule = 'hide' | 'card' | 'remove';

export const MASK = '***';

/** Field names (lower case, without `-`, `_`, `.` and spaces) and what happens to their values. */
const EXACT: Readonly<Record<string, SecretRule>> = {
  // Passwords: Assist's and Elsom merchant's `Password`, Elsom biller's `password-md5`.
  password: 'hide', passwd: 'hide', pwd: 'hide', pass: 'hide', pswd: 'hide', passwordmd5: 'hide',
  // Tokens and keys: the agent API's bearer token, any API key.
  token: 'hide', accesstoken: 'hide', refreshtoken: 'hide', authtoken: 'hide', apikey: 'hide', xapikey: 'hide',
  secret: 'hide', clientsecret: 'hide', secretkey: 'hide', privatekey: 'hide',
  // Signatures and hashes: Assist's answer `signature` and form `checkvalue`, any `sign`/`md5`/`hash`/`mac`.
  signature: 'hide', sign: 'hide', md5: 'hide', hash: 'hide', checkvalue: 'hide', mac: 'hide', hmac: 'hide',
  // One-time codes: the Elsom wallet's OTP, SMS and confirmation codes, PINs.
  otp: 'hide', otpcode: 'hide', smscode: 'hide', confirmationcode: 'hide', pin: 'hide', pincode: 'hide',
  // Headers that carry credentials.
  authorization: 'hide', proxyauthorization: 'hide', cookie: 'hide', setcookie: 'hide',
  // Card numbers: Assist's `meannumber`, and the usual spellings.
  cardnumber: 'card', cardno: 'card', pan: 'card', meannumber: 'card', primaryaccountnumber: 'card',
  // Card verification values are never kept in any form.
  cvv: 'remove', cvv2: 'remove', cvc: 'remove', cvc2: 'remove', cvn: 'remove', cid: 'remove', securitycode: 'remove',
  cardcvv: 'remove', cardcvc: 'remove',
};

/** Parts that make any name a secret (`agentToken`, `PasswordHash`, `x-auth-token`, `cardCvv`). */
const CONTAINS: readonly [string, SecretRule][] = [
  ['cvv', 'remove'], ['cvc', 'remove'],
  ['password', 'hide'], ['passwd', 'hide'], ['secret', 'hide'], ['token', 'hide'], ['apikey', 'hide'],
  ['privatekey', 'hide'], ['signature', 'hide'],
];

/** What to do with the value of a field of this name; undefined: it is not a secret. */
export function secretRule(name: string): SecretRule | undefined {
  const key = name.toLowerCase().replace(/[-_.\s]/g, '');
  const exact = EXACT[key];
  if (exact) return exact;
  return CONTAINS.find(([part]) => key.includes(part))?.[1];
}

/** The value that replaces a secret: `***`, the card number's first six and last four digits, or nothing. */
export function maskValue(rule: SecretRule, value: string): string {
  switch (rule) {
    case 'hide':
      return value === '' ? '' : MASK;
    case 'remove':
      return '';
    case 'card': {
      // The spaces around a value are markup (`<meannumber> 411111…</meannumber>`): they stay.
      const [, before, core, after] = /^(\s*)(.*?)(\s*)$/s.exec(value)!;
      return `${before}${maskCardNumber(core!)}${after}`;
    }
  }
}

/** `4111111111111111` → `411111******1111`; a number the partner already masked stays; anything else is `***`. */
export function maskCardNumber(value: string): string {
  const text = value.trim();
  if (text === '') return '';
  if (/^\d{6}[*xX•]+\d{4}$/.test(text)) return text;
  const digits = text.replace(/[\s-]/g, '');
  if (/^\d{12,19}$/.test(digits)) return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
  return MASK;
}

/** Masks the secrets of a message body of any of the formats above; the rest of the text is left as it was. */
export function maskBody(text: string): string {
  let masked = text;
  for (const pass of PASSES) masked = pass(masked);
  return masked;
}

/** Header values by header name (`Authorization`, `Cookie`, `X-Api-Key`, …). */
export function maskHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const rule = secretRule(name);
    masked[name] = rule ? maskValue(rule, value) : value;
  }
  return masked;
}

/** A URL without credentials in it: no user info, and the secret query fields masked. */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return maskForm(url);
  }
  parsed.username = '';
  parsed.password = '';
  const query = parsed.search;
  parsed.search = '';
  return `${parsed.toString()}${query ? maskForm(query) : ''}`;
}

// ---------------------------------------------------------------- the passes, one per notation

type Pass = (text: string) => string;

/** A value found by a pass, masked in the notation's own quoting (`quote` JSON-escapes a replacement). */
function replaced(name: string, value: string, quote: (text: string) => string): string | undefined {
  const rule = secretRule(name);
  return rule ? quote(maskValue(rule, value)) : undefined;
}

const asIs = (text: string) => text;

/** `"name": "value"` or `"name": 123` (JSON). A JSON-escaped value is masked whole. */
const maskJson: Pass = (text) => text.replace(
  /("((?:[^"\\\n]|\\.){1,80})"\s*:\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
  (all, head: string, name: string, value: string) => {
    const raw = value.startsWith('"') ? value.slice(1, -1) : value;
    const out = replaced(name, raw, (masked) => JSON.stringify(masked));
    return out === undefined ? all : `${head}${out}`;
  },
);

/** `"name" => "value"` (the PHP arrays of Elsom's spec, whose last line has lost its opening quote: `>Password" =>`). */
const maskPhpArray: Pass = (text) => text.replace(
  /((?:"|\b)([\w.-]{1,80})"\s*=>\s*)"([^"]*)"/g,
  (all, head: string, name: string, value: string) => {
    const out = replaced(name, value, (masked) => `"${masked}"`);
    return out === undefined ? all : `${head}${out}`;
  },
);

/** `<ns:name attr="…">value</ns:name>` (XML, SOAP): the element's local name decides. */
const maskXmlElements: Pass = (text) => text.replace(
  /(<((?:[\w.-]+:)?([\w.-]+))(?:\s[^<>]*?)?>)([^<]*)(<\/\2\s*>)/g,
  (all, open: string, _tag: string, local: string, value: string, close: string) => {
    const out = replaced(local, value, asIs) ?? replaced(nameAttribute(open) ?? '', value, asIs);
    return out === undefined ? all : `${open}${out}${close}`;
  },
);

/** The `name="…"` of an element (Elsom biller's `<extra name="password-md5">`). */
function nameAttribute(open: string): string | undefined {
  return /\sname\s*=\s*["']([^"']*)["']/i.exec(open)?.[1];
}

/**
 * Attributes of a start tag: `<… password="value">` (XML) by the attribute's local name, and the `value` of an element
 * whose `name` is a secret (`<input name="Password" value="…">`, the HTML forms of Assist's spec).
 */
const maskTagAttributes: Pass = (text) => text.replace(/<[\w.:-]+\s[^<>]*>/g, (tag) => {
  const named = secretRule(nameAttribute(tag) ?? '');
  return tag.replace(/(\s)([\w.:-]+)(\s*=\s*)(["'])([^"']*)\4/g, (all, space: string, name: string, equals: string, quote: string, value: string) => {
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    const rule = secretRule(local) ?? (named && local.toLowerCase() === 'value' ? named : undefined);
    return rule ? `${space}${name}${equals}${quote}${maskValue(rule, value)}${quote}` : all;
  });
});

/** `name=value&…` (forms, query strings); names are compared decoded. */
const maskForm: Pass = (text) => text.replace(
  /(^|[?&;\s])([^=&\s?;"'<>]{1,80})=([^&\s"'<>]*)/g,
  (all, lead: string, name: string, value: string) => {
    const out = replaced(decodeFormName(name), value, asIs);
    return out === undefined ? all : `${lead}${name}=${out}`;
  },
);

function decodeFormName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/** `name: value` on one line (Assist's key-value answers: `signature: …`, `meannumber: …`; a header written in a body). */
const maskColonPairs: Pass = (text) => text.replace(
  /(^|[\s;,])([A-Za-z_][\w-]{0,63})([ \t]*:[ \t]*)((?:(?:Bearer|Basic|Digest)[ \t]+)?[^\s;,<>"]+)/gm,
  (all, lead: string, name: string, colon: string, value: string) => {
    const out = replaced(name, value, asIs);
    return out === undefined ? all : `${lead}${name}${colon}${out}`;
  },
);

const PASSES: readonly Pass[] = [maskJson, maskPhpArray, maskXmlElements, maskTagAttributes, maskForm, maskColonPairs];
