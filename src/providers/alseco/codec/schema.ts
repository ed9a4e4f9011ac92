/**
 * A tiny schema language for Alseco's document/literal messages. One description per message drives both the
 * decoder and the encoder, and the TypeScript types are inferred from it, so the two directions cannot drift.
 * Object keys are Alseco's own element names, in the order the partner's examples show them (the encoder writes
 * that order; .NET's XmlSerializer reads sequences in order).
 */

/** What a leaf element holds on the wire, and what it decodes to (see AlsecoLeafValues). */
export type AlsecoLeafKind = 'string' | 'int' | 'money' | 'decimal' | 'boolean' | 'dateTime' | 'dotDate' | 'base64';

export interface AlsecoLeafValues {
  string: string;
  /** xs:int (.NET Int32). */
  int: number;
  /** Amount in tiyn (scale 2). */
  money: bigint;
  /** Non-money xs:decimal kept as exact text ("8.090000"). */
  decimal: string;
  boolean: boolean;
  /** xs:dateTime exactly as written ("2018-03-26T00:00:00"). */
  dateTime: string;
  /** "DD.MM.YYYY" exactly as written. */
  dotDate: string;
  base64: Uint8Array;
}

/**
 * required: must be present (a .NET value type or a key string); optional: may be absent (a .NET reference type,
 * minOccurs=0), absent or xsi:nil decode to undefined; nillable: absent or xsi:nil decode to null (.NET `int?`).
 * A list field is always an array: absent, nil and empty wrappers all decode to [].
 */
export type Presence = 'required' | 'optional' | 'nillable';

export interface LeafNode<K extends AlsecoLeafKind = AlsecoLeafKind> {
  readonly node: 'leaf';
  readonly kind: K;
  /** Written as xsi:type on encode (the spec's `<SysRef xsi:type="xsd:string">`); ignored on decode. */
  readonly xsiType?: string;
}

export interface EnumNode<V extends string = string> {
  readonly node: 'enum';
  readonly values: readonly V[];
}

export interface ObjectNode<F extends FieldMap = FieldMap> {
  readonly node: 'object';
  readonly fields: F;
}

/** An element whose children are `itemName` repeated (`<accounts><int>1</int><int>2</int></accounts>`). */
export interface ListNode<I extends SchemaNode = SchemaNode> {
  readonly node: 'list';
  readonly itemName: string;
  readonly item: I;
}

export type SchemaNode = LeafNode | EnumNode | ObjectNode | ListNode;

export interface Field<S extends SchemaNode = SchemaNode, P extends Presence = Presence> {
  readonly schema: S;
  readonly presence: P;
}

export type FieldMap = { readonly [element: string]: Field };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type Infer<S> = S extends LeafNode<infer K>
  ? AlsecoLeafValues[K]
  : S extends EnumNode<infer V>
    ? V
    : S extends ListNode<infer I>
      ? Infer<I>[]
      : S extends ObjectNode<infer F>
        ? InferFields<F>
        : never;

export type FieldValue<F> = F extends Field<infer S, infer P> ? (P extends 'nillable' ? Infer<S> | null : Infer<S>) : never;

type OptionalKeys<F> = { [K in keyof F]: F[K] extends Field<SchemaNode, 'optional'> ? K : never }[keyof F];

type InferFields<F> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: FieldValue<F[K]> } & {
    -readonly [K in OptionalKeys<F>]?: FieldValue<F[K]>;
  }
>;

function leaf<K extends AlsecoLeafKind>(kind: K, xsiType?: string): LeafNode<K> {
  return xsiType === undefined ? { node: 'leaf', kind } : { node: 'leaf', kind, xsiType };
}

export const STRING = leaf('string');
export const INT = leaf('int');
export const MONEY = leaf('money');
export const DECIMAL = leaf('decimal');
export const BOOLEAN = leaf('boolean');
export const DATE_TIME = leaf('dateTime');
export const DOT_DATE = leaf('dotDate');
export const BASE64 = leaf('base64');
/** A string declared as xs:anyType (`object`) by the partner: .NET writes xsi:type="xsd:string". */
export const ANY_STRING = leaf('string', 'xsd:string');

export function obj<const F extends FieldMap>(fields: F): ObjectNode<F> {
  return { node: 'object', fields };
}

export function list<I extends SchemaNode>(itemName: string, item: I): ListNode<I> {
  return { node: 'list', itemName, item };
}

export function oneOf<const V extends readonly string[]>(values: V): EnumNode<V[number]> {
  return { node: 'enum', values };
}

export function req<S extends SchemaNode>(schema: S): Field<S, 'required'> {
  return { schema, presence: 'required' };
}

export function opt<S extends SchemaNode>(schema: S): Field<S, 'optional'> {
  return { schema, presence: 'optional' };
}

export function nil<S extends SchemaNode>(schema: S): Field<S, 'nillable'> {
  return { schema, presence: 'nillable' };
}
