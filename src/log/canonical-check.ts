/**
 * Whether a JSON text is already in the RFC 8785 form the log's leaves are made of, checked by
 * reading it once, without parsing it into values and serializing them again.
 *
 * The embedded store writes each event's data and metadata in that form (src/store/sqlite.ts,
 * with leaf.ts's `canonicalJson`), so the text a row holds is, byte for byte, what the event's
 * line carries. Making the line from the row (the leaf thread under batches, a tree recomputed at a
 * first start, the background check of a saved tree) then needs no parse and no second
 * serialization: only this check, which is exact. A text it refuses (a row written before the
 * store wrote this form, by another tool, or altered) goes the long way, and its leaf is whatever
 * that gives: the check never changes a leaf, it only skips work.
 *
 * `isCanonicalJson(text)` is true exactly when `canonicalJson(JSON.parse(text)) === text`, with
 * the one exception that it refuses some texts that do satisfy it (keys written with escapes, keys
 * named `__proto__`, nesting deeper than MAX_DEPTH), which then go the long way too.
 * test/log/canonical-check.test.ts holds the two to that over arbitrary JSON.
 */

/** Deeper than this, the check says no and the long way decides. */
const MAX_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** The text being checked and where the check is in it: module state, so no closure or object per call. */
let text = '';
let at = 0;
/** Set by `string`: whether the string just read held an escape. */
let escaped = false;

/** True when `candidate` is the RFC 8785 JSON of the value it denotes (see the file's comment). */
export function isCanonicalJson(candidate: string): boolean {
  text = candidate;
  at = 0;
  try {
    return value(0) && at === text.length;
  } finally {
    text = '';
  }
}

function value(depth: number): boolean {
  const c = text.charCodeAt(at);
  if (c === QUOTE) return string();
  if (c === OPEN_BRACE) return object(depth + 1);
  if (c === OPEN_BRACKET) return array(depth + 1);
  if (c === MINUS || (c >= ZERO && c <= NINE)) return number();
  return literal('true') || literal('false') || literal('null');
}

function literal(word: string): boolean {
  if (!text.startsWith(word, at)) return false;
  at += word.length;
  return true;
}

/**
 * A string as JSON.stringify writes a well-formed one (and so RFC 8785): every code unit from U+0020
 * as it is but `"` and `\`, surrogates only in pairs; escapes only `\"`, `\\`, the five short ones,
 * and `\u00xx` (lower-case hex) for the other controls.
 */
function string(): boolean {
  at++; // the opening quote
  escaped = false;
  for (;;) {
    const c = text.charCodeAt(at++);
    if (c === QUOTE) return true;
    if (c !== c || c < 0x20) return false; // the text ended (NaN), or a raw control
    if (c === BACKSLASH) {
      escaped = true;
      const e = text.charCodeAt(at++);
      if (e === QUOTE || e === BACKSLASH || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)
        continue; // \" \\ \b \f \n \r \t
      if (e !== 0x75 || !text.startsWith('00', at)) return false; // \/ and \uXXXX above U+00FF are not canonical
      const hex = text.slice(at + 2, at + 4);
      const code = /^[0-9a-f]{2}$/.test(hex) ? parseInt(hex, 16) : 0x20;
      // Only the controls without a short form are written as \u00xx.
      if (code >= 0x20 || code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d)
        return false;
      at += 4;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate has no RFC 8785 form: only a high one followed by a low one passes.
      const low = text.charCodeAt(at);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return false;
      at++;
    }
  }
}

/** A number as ECMAScript writes it (RFC 8785 §3.2.2.3): the token is what String() makes of its value. */
function number(): boolean {
  const start = at;
  if (text.charCodeAt(at) === MINUS) at++;
  let c = text.charCodeAt(at);
  if (c === ZERO) c = text.charCodeAt(++at);
  else if (c > ZERO && c <= NINE) while (c >= ZERO && c <= NINE) c = text.charCodeAt(++at);
  else return false;
  let plain = at - start <= 15; // a short integer is already in its ES form (but -0)
  if (c === 0x2e || c === 0x65 || c === 0x45) {
    plain = false;
    if (c === 0x2e) {
      c = text.charCodeAt(++at);
      if (!(c >= ZERO && c <= NINE)) return false;
      while (c >= ZERO && c <= NINE) c = text.charCodeAt(++at);
    }
    if (c === 0x65 || c === 0x45) {
      c = text.charCodeAt(++at);
      if (c === 0x2b || c === MINUS) c = text.charCodeAt(++at);
      if (!(c >= ZERO && c <= NINE)) return false;
      while (c >= ZERO && c <= NINE) c = text.charCodeAt(++at);
    }
  }
  const token = text.slice(start, at);
  if (plain) return token !== '-0';
  const parsed = Number(token);
  return Number.isFinite(parsed) && String(parsed) === token;
}

function array(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  at++; // [
  if (text.charCodeAt(at) === CLOSE_BRACKET) return (at++, true);
  for (;;) {
    if (!value(depth)) return false;
    const c = text.charCodeAt(at++);
    if (c === CLOSE_BRACKET) return true;
    if (c !== COMMA) return false;
  }
}

/**
 * Whether the key text at [a, aEnd) sorts before the one at [b, bEnd), by UTF-16 code units as `<`
 * compares strings: compared where they stand, with no string made for either. A key without
 * escapes is its text, code unit for code unit.
 */
function keyBefore(a: number, aEnd: number, b: number, bEnd: number): boolean {
  const shorter = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < shorter; i++) {
    const x = text.charCodeAt(a + i);
    const y = text.charCodeAt(b + i);
    if (x !== y) return x < y;
  }
  return aEnd - a < bEnd - b;
}

/** Keys strictly ascending by UTF-16 code units (as `<` compares strings), so none twice. */
function object(depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  at++; // {
  if (text.charCodeAt(at) === CLOSE_BRACE) return (at++, true);
  let previous = -1;
  let previousEnd = -1;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return false;
    const start = at + 1;
    if (!string() || escaped) return false; // a key with escapes: rare, and the long way compares it right
    const end = at - 1;
    if (previous >= 0 && !keyBefore(previous, previousEnd, start, end)) return false;
    if (end - start === 9 && text.startsWith('__proto__', start)) return false;
    previous = start;
    previousEnd = end;
    if (text.charCodeAt(at++) !== COLON) return false;
    if (!value(depth)) return false;
    const c = text.charCodeAt(at++);
    if (c === CLOSE_BRACE) return true;
    if (c !== COMMA) return false;
  }
}
