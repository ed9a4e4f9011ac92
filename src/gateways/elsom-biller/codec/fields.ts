/** Elsom biller codec — Field readers over the element tree: required and optional elements, lengths, digits, extras, amounts, dates. */
import { parseAmount } from '../../../domain/money.ts';
import { parseElsomCompactDateTime } from './dates.ts';
import { type ElsomExtra, type ElsomLocalDateTime } from './messages.ts';
import { refuse } from './refusals.ts';
import { ELSOM_RESULT } from './tables.ts';
import { type XmlElement } from './xml-read.ts';

type TextCheck = (value: string, field: string) => void;

export function varchar(max: number): TextCheck {
  return (value, field) => {
    if ([...value].length > max) refuse('invalid_field', `${field} longer than ${max}`);
  };
}

export function digits(max: number): TextCheck {
  return (value, field) => {
    if (!/^\d+$/.test(value) || value.length > max) refuse('invalid_field', `${field} is not Number(${max})`);
  };
}

export function single(parent: XmlElement, name: string, path: string): XmlElement | undefined {
  const found = parent.children.filter((child) => child.name === name);
  if (found.length > 1) refuse('duplicate_field', path);
  return found[0];
}

export function requiredElement(parent: XmlElement, name: string, path = name): XmlElement {
  return single(parent, name, path) ?? refuse('missing_field', path);
}

function leafText(element: XmlElement, path: string): string {
  if (element.children.length > 0) refuse('invalid_field', `${path} must be text`);
  return element.text;
}

export function optionalText(parent: XmlElement, name: string, check: TextCheck, path = name): string | undefined {
  const element = single(parent, name, path);
  const value = element === undefined ? '' : leafText(element, path);
  if (value === '') return undefined;
  check(value, path);
  return value;
}

export function requiredText(parent: XmlElement, name: string, check: TextCheck, path = name): string {
  return optionalText(parent, name, check, path) ?? refuse('missing_field', path);
}

/** `<extra name="…">` elements by name; a repeated name is refused (two password-md5 would be ambiguous). */
export function readExtras(parent: XmlElement): Map<string, string> {
  const extras = new Map<string, string>();
  for (const element of parent.children.filter((child) => child.name === 'extra')) {
    const name = element.attributes.get('name') ?? refuse('invalid_field', 'extra without name');
    if (extras.has(name)) refuse('duplicate_field', `extra ${name}`);
    extras.set(name, leafText(element, `extra ${name}`));
  }
  return extras;
}

export function extraText(extras: ReadonlyMap<string, string>, name: string, check: TextCheck): string | undefined {
  const value = extras.get(name);
  if (value === undefined || value === '') return undefined;
  check(value, `extra ${name}`);
  return value;
}

export function requiredExtra(extras: ReadonlyMap<string, string>, name: string, check: TextCheck): string {
  return extraText(extras, name, check) ?? refuse('missing_field', `extra ${name}`);
}

export function otherExtras(extras: ReadonlyMap<string, string>, known: ReadonlySet<string>): ElsomExtra[] {
  return [...extras].filter(([name]) => !known.has(name)).map(([name, value]) => ({ name, value }));
}

/** Request amounts: positive, at most two decimals, no exponent, no sign; every refusal is 275. */
function requestAmount(text: string, path: string): bigint {
  const parsed = parseAmount(text, 2);
  if (!parsed.ok) refuse('invalid_amount', `${path}: ${parsed.error}`, ELSOM_RESULT.INCORRECT_AMOUNT);
  return parsed.minor;
}

/** `<amount currency-code="417">10</amount>` inside `parent`. */
export function readRequestAmount(parent: XmlElement, path: string, currencyRequired: boolean) {
  const element = requiredElement(parent, 'amount', `${path}/amount`);
  const text = leafText(element, `${path}/amount`);
  const amountMinor = text === '' ? refuse('missing_field', `${path}/amount`) : requestAmount(text, `${path}/amount`);
  const currencyText = element.attributes.get('currency-code')?.trim() ?? '';
  if (currencyText === '' && currencyRequired) refuse('missing_field', `${path}/amount@currency-code`);
  if (currencyText === '') return { amountMinor };
  digits(10)(currencyText, `${path}/amount@currency-code`);
  return { amountMinor, currencyCode: Number(currencyText) };
}

export function requiredCompactDate(parent: XmlElement, name: string, path = name): ElsomLocalDateTime {
  const text = requiredText(parent, name, varchar(100), path);
  return parseElsomCompactDateTime(text) ?? refuse('invalid_field', `${path} is not ГГГГММДДччммсс`);
}

export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
