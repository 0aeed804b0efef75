/**
 * Key/value pairs that loggers write after their message (structlog, logrus's terminal layout, hclog):
 * `k=v k="v w" k=[1, 2]`. Read only where the rest of a line is nothing but pairs, so a message that
 * holds an `=` stays whole; each logger decodes its own quoting (Python's repr, Go's %q).
 */

/** A key as these loggers write them: an identifier, dotted or dashed ones too. */
const KEY = /^[A-Za-z_][\w.-]*$/;

/**
 * `k=v` pairs separated by single spaces from `i` to the end of `s`, into `out` (each value through
 * `decode`); false, with `out` partly filled, when the text is not that throughout.
 */
export function readPairs(s: string, i: number, out: Array<[string, string]>, decode: (v: string) => string): boolean {
  if (i >= s.length) return false;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq <= i) return false;
    const key = s.slice(i, eq);
    if (!KEY.test(key)) return false;
    const end = valueEnd(s, eq + 1);
    if (end === -1) return false;
    out.push([key, decode(s.slice(eq + 1, end))]);
    if (end === s.length) return true;
    if (s.charCodeAt(end) !== 32) return false;
    i = end + 1;
  }
  return false;
}

/** Where a value starting at `i` ends: after its closing quote or bracket (nested, quotes skipped), else at the next space. -1 when a quote or bracket is not closed. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 39 || c === 34) return quoteEnd(s, i);
  if (c === 91 || c === 123 || c === 40) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 39 || d === 34) {
        j = quoteEnd(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === 91 || d === 123 || d === 40) depth++;
      else if ((d === 93 || d === 125 || d === 41) && --depth === 0) return j + 1;
    }
    return -1;
  }
  const sp = s.indexOf(' ', i);
  return sp === -1 ? s.length : sp;
}

/** After the quote closing the one at `i` (backslash escapes skipped); -1 when it does not close. */
function quoteEnd(s: string, i: number): number {
  const q = s.charCodeAt(i);
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === q) return j + 1;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

/**
 * A quoted value's characters, with the escapes Python's repr, Go's %q and Rust's Debug write (`\n`,
 * `\'`, `\"`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`, `\u{1f600}`); anything not in quotes as printed.
 */
export function unquote(v: string): string {
  const q = v.charCodeAt(0);
  if ((q !== 39 && q !== 34) || v.length < 2) return v;
  const inner = v.slice(1, -1);
  if (inner.indexOf('\\') === -1) return inner;
  return inner.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|u\{[0-9a-fA-F]{1,6}\}|.)/g, (all, e: string) => {
    if (e.length > 1) {
      const cp = parseInt(e.charCodeAt(1) === 123 /* { */ ? e.slice(2, -1) : e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return ESCAPES[e] ?? all;
  });
}
