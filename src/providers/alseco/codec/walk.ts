/**
 * Schema-driven reading and writing of message bodies. The decoder is tolerant of prefixes, element order,
 * unknown elements, annotation text between elements, empty elements and xsi:nil; it is strict about values
 * (money, numbers, dates, enums) and never guesses one.
 */
import { assertNever } from '../../../domain/assert.ts';
import {
  formatAlsecoBase64, formatAlsecoMoney, isAlsecoDecimal, isAlsecoInt,
  parseAlsecoBase64, parseAlsecoBoolean, parseAlsecoDateTimeText, parseAlsecoDecimal, parseAlsecoDotDateText,
  parseAlsecoInt, parseAlsecoMoney,
} from './values.ts';
import type { AlsecoLeafKind, EnumNode, Field, LeafNode, ListNode, ObjectNode, SchemaNode } from './schema.ts';
import { AlsecoDecodeError, childrenByLocalName, isNil, leafText, type XValue } from './xml-read.ts';
import { AlsecoEncodeError, XmlWriter } from './xml-write.ts';

// ── decode ─────────────────────────────────────────────────────────────────────────────────────────────────────

export function decodeNode(schema: SchemaNode, node: XValue, path: string): unknown {
  switch (schema.node) {
    case 'leaf':
      return decodeLeaf(schema.kind, leafText(node, path), path);
    case 'enum':
      return decodeEnum(schema, leafText(node, path).trim(), path);
    case 'object':
      return decodeObject(schema, node, path);
    case 'list':
      return decodeList(schema, node, path);
  }
  return assertNever(schema, 'schema node');
}

function decodeLeaf(kind: AlsecoLeafKind, text: string, path: string): unknown {
  const value = parseLeaf(kind, text);
  if (value === undefined) throw new AlsecoDecodeError('invalid-value', `${path}: not a valid ${kind}: ${JSON.stringify(text.slice(0, 60))}`);
  return value;
}

function parseLeaf(kind: AlsecoLeafKind, text: string): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'int':
      return parseAlsecoInt(text);
    case 'money':
      return parseAlsecoMoney(text);
    case 'decimal':
      return parseAlsecoDecimal(text);
    case 'boolean':
      return parseAlsecoBoolean(text);
    case 'dateTime':
      return parseAlsecoDateTimeText(text);
    case 'dotDate':
      return parseAlsecoDotDateText(text);
    case 'base64':
      return parseAlsecoBase64(text);
  }
  return assertNever(kind, 'leaf kind');
}

function decodeEnum(schema: EnumNode, text: string, path: string): string {
  if (schema.values.includes(text)) return text;
  throw new AlsecoDecodeError('invalid-value', `${path}: unknown value ${JSON.stringify(text.slice(0, 60))}`);
}

function decodeObject(schema: ObjectNode, node: XValue, path: string): Record<string, unknown> {
  const children = childrenByLocalName(node);
  const result: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields)) {
    const value = decodeField(field, children.get(name) ?? [], `${path}/${name}`);
    if (value !== undefined) result[name] = value;
  }
  return result;
}

function decodeList(schema: ListNode, node: XValue, path: string): unknown[] {
  const items = childrenByLocalName(node).get(schema.itemName) ?? [];
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i += 1) {
    out[i] = decodeNode(schema.item, items[i] as XValue, `${path}/${schema.itemName}[${i}]`);
  }
  return out;
}

/** Absent, nil or (for a non-string) empty: all mean "no value"; what that decodes to depends on presence. */
export function decodeField(field: Field, values: readonly XValue[], path: string): unknown {
  if (values.length > 1 && field.schema.node !== 'list') {
    throw new AlsecoDecodeError('invalid-value', `${path}: appears ${values.length} times`);
  }
  const node = values[0];
  if (node === undefined || isNil(node) || isEmptyNonString(field.schema, node)) return noValue(field, path);
  return decodeNode(field.schema, node, path);
}

function isEmptyNonString(schema: SchemaNode, node: XValue): boolean {
  if (schema.node === 'object' || schema.node === 'list') return false;
  if (schema.node === 'leaf' && (schema.kind === 'string' || schema.kind === 'base64')) return false;
  return leafText(node, '').trim() === '';
}

function noValue(field: Field, path: string): unknown {
  if (field.schema.node === 'list') return [];
  switch (field.presence) {
    case 'required':
      throw new AlsecoDecodeError('invalid-value', `${path}: required element is missing or empty`);
    case 'optional':
      return undefined;
    case 'nillable':
      return null;
  }
  return assertNever(field.presence, 'presence');
}

// ── encode ─────────────────────────────────────────────────────────────────────────────────────────────────────

export function encodeField(w: XmlWriter, name: string, field: Field, value: unknown): void {
  if (value === undefined && field.schema.node === 'list') return encodeNode(w, name, field.schema, []);
  if (value === undefined && field.presence === 'optional') return;
  if (value === null && field.presence === 'nillable') return void w.empty(name, [['xsi:nil', 'true']]);
  if (value === undefined || value === null) throw new AlsecoEncodeError(`${name}: a value is required`);
  encodeNode(w, name, field.schema, value);
}

export function encodeNode(w: XmlWriter, name: string, schema: SchemaNode, value: unknown): void {
  switch (schema.node) {
    case 'leaf':
      return encodeLeaf(w, name, schema, value);
    case 'enum':
      return encodeEnum(w, name, schema, value);
    case 'object':
      return encodeObject(w, name, schema, value);
    case 'list':
      return encodeList(w, name, schema, value);
  }
  return assertNever(schema, 'schema node');
}

function encodeLeaf(w: XmlWriter, name: string, schema: LeafNode, value: unknown): void {
  const text = formatLeaf(schema.kind, value);
  if (text === undefined) throw new AlsecoEncodeError(`${name}: not a valid ${schema.kind}: ${String(value)}`);
  w.leaf(name, text, schema.xsiType === undefined ? [] : [['xsi:type', schema.xsiType]]);
}

function formatLeaf(kind: AlsecoLeafKind, value: unknown): string | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'int':
      return isAlsecoInt(value) ? String(value) : undefined;
    case 'money':
      return typeof value === 'bigint' ? formatAlsecoMoney(value) : undefined;
    case 'decimal':
      return typeof value === 'string' && isAlsecoDecimal(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'dateTime':
      return typeof value === 'string' && parseAlsecoDateTimeText(value) === value ? value : undefined;
    case 'dotDate':
      return typeof value === 'string' && parseAlsecoDotDateText(value) === value ? value : undefined;
    case 'base64':
      return value instanceof Uint8Array ? formatAlsecoBase64(value) : undefined;
  }
  return assertNever(kind, 'leaf kind');
}

function encodeEnum(w: XmlWriter, name: string, schema: EnumNode, value: unknown): void {
  if (typeof value !== 'string' || !schema.values.includes(value)) {
    throw new AlsecoEncodeError(`${name}: ${String(value)} is not one of ${schema.values.join(', ')}`);
  }
  w.leaf(name, value);
}

function encodeObject(w: XmlWriter, name: string, schema: ObjectNode, value: unknown): void {
  if (typeof value !== 'object' || value === null) throw new AlsecoEncodeError(`${name}: an object is required`);
  const record = value as Record<string, unknown>;
  w.open(name);
  encodeFields(w, schema, record);
  w.close(name);
}

/** The children of an object, in schema order (the method element's own tag is written by the caller). */
export function encodeFields(w: XmlWriter, schema: ObjectNode, record: Readonly<Record<string, unknown>>): void {
  for (const [fieldName, field] of Object.entries(schema.fields)) encodeField(w, fieldName, field, record[fieldName]);
}

function encodeList(w: XmlWriter, name: string, schema: ListNode, value: unknown): void {
  if (!Array.isArray(value)) throw new AlsecoEncodeError(`${name}: an array is required`);
  if (value.length === 0) return void w.empty(name);
  w.open(name);
  for (const item of value) encodeNode(w, schema.itemName, schema.item, item);
  w.close(name);
}
