/**
 * Log body in, masked tokens out: variables (numbers, ids, IPs, paths, hex, UUIDs, timestamps, ...) become
 * `<*>` by general rules, so that lines of one event share as many tokens as possible before clustering.
 */

export const WILDCARD = '<*>';

const DAYS = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*';
const MONTHS = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*';
// Top-level domains that end a host name: any two lowercase letters (country codes) or a generic one.
// Dotted names ending otherwise (`org.apache.Foo`, `nova.compute.manager`,
// `android.intent.action.SCREEN_ON`) are code identifiers and stay constant.
const TLDS = '[a-z]{2}|com|net|org|edu|gov|mil|int|info|biz|local|lan|internal|localdomain|arpa';

// Whole-body rules, applied before tokenising because these values can contain spaces or many separators.
// Order matters: the longer, more specific shapes go first. `needs` is a substring without which the rule
// cannot match, so that most bodies skip most scans.
const BODY_RULES: { needs: string; re: RegExp }[] = [
  // An HTTP request target and its protocol version are one value: `"GET <*>"`, whatever the version.
  { needs: ' HTTP/', re: /(?<=\s)\/\S* HTTP\/\d(?:\.\d)?(?=")/g },
  // URLs (not the bracket or punctuation they were written in)
  { needs: '://', re: /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>]*[^\s"'<>\])},.;:]/g },
  // absolute file paths with at least two segments: /var/log/x.log, /v2/abc/servers?x=1
  { needs: '/', re: /(?<![\w.])\/(?:[\w.@%+~-]+\/)+[\w.@%+~-]*(?:\?[^\s"'<>]*)?/g },
  // relative paths with at least three segments: Nodes/dn731/pkts_out.rrd
  { needs: '/', re: /(?<![\w.\/<*>-])[\w.@%+~-]+(?:\/[\w.@%+~-]+){2,}\/?/g },
  // Windows paths: C:\Windows\winsxs\x.dll, \\server\share, \\?\GLOBALROOT\Device\x
  { needs: '\\', re: /(?:\b[A-Za-z]:\\|\\\\)[^\s"'<>]*/g },
  // UUIDs
  { needs: '-', re: /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g },
  // date and time (ISO 8601 and the common `2017-05-16 00:00:00.008`), with optional zone
  { needs: '-', re: /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g },
  // syslog and C `ctime` dates: `Jun 14 15:16:01`, `Fri Jul  1 07:57:30 2005`, `Mon, 20 Jun 2005 10:00`
  {
    needs: ':',
    re: new RegExp(
      `\\b(?:${DAYS},?\\s+)?(?:${MONTHS}\\s+\\d{1,2}|\\d{1,2}\\s+${MONTHS})(?:,?\\s+\\d{4})?\\s+\\d{1,2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?(?:\\s+\\d{4})?\\b`,
      'g',
    ),
  },
  // clock times `15:42:50`, `15:42:50.675`
  { needs: ':', re: /\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g },
  // MAC addresses
  { needs: ':', re: /\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b/g },
  // A bound with its unit is one value: `lifetime <1 sec`, `took >5 ms`.
  { needs: '', re: /(?<![\w<>])[<>]=?\s?\d+(?:\.\d+)?\s?(?:ms|us|ns|s|secs?|seconds?|mins?|minutes?)\b/g },
  // A byte count, with the rounded size some programs add (`1190 bytes (1.16 KB)`), is one value;
  // other units (`250 ms`, `3 seconds`, `2048 MB`) stay constant text beside their number.
  { needs: 'byte', re: /\b\d+(?:\.\d+)?\s?bytes?(?:\s\(\d+(?:\.\d+)?\s?(?:[kKMGTP]i?B|bytes?)\))?/g },
];

// Rules for tokens holding a dot, host names first so that an address inside one
// (`dsl-059.45.101.203.example.net`) does not break it up.
const DOTTED_RULES: RegExp[] = [
  // host names (at least two labels, the last a top-level domain), with optional port; not the start
  // of a longer dotted name (`com.android.server.wm.WindowState` is code)
  new RegExp(`(?<![\\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+(?:${TLDS})(?::\\d{1,5})?(?![\\w-]|\\.[\\w-])`, 'g'),
  // IPv4 with optional port
  /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
];

const DIGIT = /[0-9]/;
// A host name with a number in it (`web-1`, `ip-10-0-0-1`), an optional `/address`, and a port.
const HOST_PORT = /^(?=[A-Za-z][A-Za-z0-9-]*\d)[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+(?:\/\d{1,3}(?:\.\d{1,3}){3})?:\d{1,5}(?=[.,;)\]]*$)/;
// Words that are values whatever the event: booleans and an absent value.
const VALUE_WORDS = new Set(['true', 'false', 'null']);
// Only a value's quotes (`key="..."`): a quoted sentence of its own keeps its words apart.
const QUOTE_OPENERS = '=:';
const LETTER = /\p{L}/u;
// A word of letters only, and a word of letters and digits (`amd64`).
const PLAIN_WORD = /(?:^|[^\p{L}\d])\p{L}+(?![\p{L}\d])/u;
const NUMBERED_WORD = /[A-Za-z]+\d[A-Za-z\d]*/g;
const EMPTY_PAIR = new Set(['()', '[]', '{}', '""', "''", '<>']);
// Hex numbers: with a 0x, or long enough not to be a name with a number (`ee0`, `fd1` are names).
const HEX_WORD = /^(?:0[xX][0-9a-fA-F]+|[0-9a-fA-F]{8,})$/;
const LETTERS_THEN_DIGITS = /^([A-Za-z]{2,})[0-9]+$/;
// Punctuation a variable sits in or before, kept in the template: `(<*>)`, `[<*>]`, `'<*>'`, `<*>:`, `<*>,`.
const LEAD = '([{\'"#=';
const TRAIL = ')]}\'":,;.!?';

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Masks a word (a maximal run of letters, digits and `_`) that holds a digit, unless it is a name with
 * a few digits (`ssh2`, `log4j`, `SOCKS5`, `e820`, `tty2`): such a word is more often a constant than a
 * value, and the miner generalises it (`tty<*>`) only once it sees it vary.
 */
function maskWord(word: string): string {
  if (HEX_WORD.test(word)) return WILDCARD;
  let letters = 0, digits = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 95 && c !== 45) letters++;
  }
  const c0 = word.charCodeAt(0);
  const startsWithLetter = (c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122);
  if (startsWithLetter && digits <= 4 && digits <= letters + 2) return word;
  // `eth0`, `tty2`, `Steps0`: the letters name the thing, the digits number it.
  const m = LETTERS_THEN_DIGITS.exec(word);
  if (m) return m[1] + WILDCARD;
  return WILDCARD;
}

/** Masks one whitespace-free token: every word (letters, digits, `_`) holding a digit is replaced. */
export function maskToken(token: string): string {
  // An empty quote or bracket pair is a value that happens to be empty: `from 1.2.3.4 () at`.
  if (EMPTY_PAIR.has(token)) return token[0] + WILDCARD + token[1];
  // Only words with a digit change, and most tokens have none.
  const hadWildcard = token.includes(WILDCARD);
  if (!hadWildcard && !DIGIT.test(token)) return token;
  let out = '';
  let copied = 0;
  let start = -1;
  let digit = false;
  const n = token.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? token.charCodeAt(i) : 32;
    const isDigit = c >= 48 && c <= 57;
    // `_` joins the parts of one identifier: `attempt_1445_0020_m_000000_0` is one value.
    let inWord = isDigit || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    // A minus sign starts a negative number when it does not sit inside a word: `blk_-4355`, `id: -12`.
    if (c === 45 && i + 1 < n) {
      const next = token.charCodeAt(i + 1);
      const prev = i > 0 ? token.charCodeAt(i - 1) : 32;
      const prevAlnum = (prev >= 48 && prev <= 57) || (prev >= 65 && prev <= 90) || (prev >= 97 && prev <= 122);
      if (next >= 48 && next <= 57 && !prevAlnum) inWord = true;
    }
    if (inWord) {
      if (start < 0) {
        start = i;
        digit = false;
      }
      if (isDigit) digit = true;
      continue;
    }
    if (start >= 0) {
      if (digit) {
        out += token.slice(copied, start) + maskWord(token.slice(start, i));
        copied = i;
      }
      start = -1;
    }
  }
  if (copied === 0 && !hadWildcard) return token;
  out += token.slice(copied);
  // `<*>.<*>`, `-<*>`, `[<*>/<*>]`, `/<*>:`: nothing but variables and punctuation is one variable,
  // in the brackets, quotes or before the `:` or `,` it was written in.
  const rest = out.split(WILDCARD);
  if (!LETTER.test(rest.join(''))) return wrapped(out);
  // Variables joined with names that carry numbers themselves (`<*>~<*>~amd64~~<*>`, a package's
  // identity): one value too. A plain word among them (`node-<*>`, `tty<*>`) names what they number.
  if (rest.length > 3 && rest.every((part) => !PLAIN_WORD.test(part))) return wrapped(out.replace(NUMBERED_WORD, WILDCARD), true);
  while (out.includes('<*><*>')) out = out.replace('<*><*>', WILDCARD);
  return out;
}

/**
 * One variable in the punctuation around it: `(<*>):` stays, `<*>:<*>` and `-<*>` become `<*>`; with
 * `whole`, a value of its own separators (`<*>~<*>~~<*>`) too.
 */
function wrapped(token: string, whole = false): string {
  const first = token.indexOf(WILDCARD);
  const last = token.lastIndexOf(WILDCARD) + WILDCARD.length;
  let a = 0;
  while (a < first && LEAD.includes(token[a]!)) a++;
  let b = token.length;
  while (b > last && TRAIL.includes(token[b - 1]!)) b--;
  // Parts joined by one separator are one value (`<*>:<*>`, `<*>.<*>`, `<*>-<*>`); a value written
  // with a separator of its own (`<*>##<*>##<*>`) keeps its shape.
  const inner = token.slice(a, b);
  const core = whole || SIMPLE_JOIN.test(inner) || !inner.startsWith(WILDCARD) || !inner.endsWith(WILDCARD) ? WILDCARD : inner;
  if (a === 0 && b === token.length) return core;
  return token.slice(0, a) + core + token.slice(b);
}

const SIMPLE_JOIN = /^<\*>(?:[.:/@_,;+=~|-]?<\*>)*$/;

/** Splits a body on whitespace and masks every token. */
export function maskBody(body: string): string[] {
  let text = body;
  if (DIGIT.test(text) || text.includes('/') || text.includes('\\')) {
    for (const rule of BODY_RULES) if (text.includes(rule.needs)) text = text.replace(rule.re, WILDCARD);
  }
  const out: string[] = [];
  const n = text.length;
  let keptNumbered = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    const start = i;
    // Tokens without a digit, a dot or a `<` (of `<*>`) come out as they went in: skip the masking.
    let special = false;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c === 32 || (c >= 9 && c <= 13)) break;
      if ((c >= 48 && c <= 57) || c === 60) special = true;
      // A dot matters inside a token (host names, addresses), not at its end (`successfully.`).
      else if (c === 46 && i + 1 < n && isAlnum(text.charCodeAt(i + 1))) special = true;
      // A double-quoted value is one token even with spaces inside (`tag="View Lock",`), so that
      // values of a varying number of words still line up.
      if (c === 34 && i > start && QUOTE_OPENERS.includes(text[i - 1]!)) {
        const close = text.indexOf('"', i + 1);
        if (close > i) {
          for (let j = i + 1; j < close && !special; j++) {
            const d = text.charCodeAt(j);
            if ((d >= 48 && d <= 57) || d === 46 || d === 60) special = true;
          }
          i = close;
        }
      }
    }
    let token = text.slice(start, i);
    if (special) {
      const written = token;
      // `web-1:8080`, `msra-sa-41/10.190.173.170:8030` (Java's host/address:port): one address.
      if (token.includes(':')) token = token.replace(HOST_PORT, WILDCARD);
      if (token.includes('.')) for (const rule of DOTTED_RULES) token = token.replace(rule, WILDCARD);
      token = maskToken(token);
      // A word with a number kept as written (`an14`): three of them may be a list.
      if (token === written) keptNumbered++;
    } else if (i - start === 2 && EMPTY_PAIR.has(token)) {
      token = token[0] + WILDCARD + token[1];
    } else if ((i - start === 4 || i - start === 5) && VALUE_WORDS.has(token.toLowerCase())) {
      token = WILDCARD;
    }
    // A run of variables is one variable: values of varying length (`1.16 KB`, `(host.name)`) then line up.
    if (token === WILDCARD && out.length > 0 && out[out.length - 1] === WILDCARD) continue;
    out.push(token);
  }
  const listed = keptNumbered >= 3 ? collapseNumberedLists(out) : out;
  return listed.length >= 4 ? collapseRepeats(listed) : listed;
}

const NUMBERED_NAME = /^[A-Za-z][A-Za-z_-]*\d+[,;]?$/;

/**
 * Names with a number kept as written (`an14`, `dadmin2`) are a list when three or more of one stem
 * follow each other (`an14 an15 an16 ... an52`): the list is one value, whatever its length.
 */
function collapseNumberedLists(tokens: string[]): string[] {
  let out: string[] | undefined;
  let i = 0;
  while (i < tokens.length) {
    let j = i;
    if (NUMBERED_NAME.test(tokens[i]!)) {
      const stem = tokens[i]!.replace(/\d+/, '');
      j = i + 1;
      while (j < tokens.length && NUMBERED_NAME.test(tokens[j]!) && tokens[j]!.replace(/\d+/, '') === stem) j++;
    }
    if (j - i >= 3) {
      out ??= tokens.slice(0, i);
      if (out[out.length - 1] !== WILDCARD) out.push(WILDCARD);
      i = j;
      continue;
    }
    out?.push(tokens[i]!);
    i++;
  }
  return out ?? tokens;
}

/**
 * A list of values is one value whatever its length: a block of one to four tokens holding a variable
 * that repeats back to back (`node-<*> <*> <ok> node-<*> <*> <ok> ...`) is kept once.
 */
function collapseRepeats(tokens: string[]): string[] {
  let out = tokens;
  for (let k = 1; k <= 4; k++) {
    // One token twice is two values more often than a list (`from <*>: <*>: Bye`): a list of single
    // tokens takes three.
    const span = k === 1 ? 3 : 2 * k;
    if (out.length < span) break;
    // Most bodies have no repeat at all: look before building a new array.
    let found = false;
    for (let i = 0; i + span <= out.length && !found; i++) {
      found = out[i] === out[i + k] && sameBlock(out, i, k) && (k > 1 || out[i + 2] === out[i]) && blockHasVariable(out, i, k);
    }
    if (!found) continue;
    const next: string[] = [];
    let i = 0;
    while (i < out.length) {
      next.push(out[i]!);
      if (i + span <= out.length && sameBlock(out, i, k) && (k > 1 || out[i + 2] === out[i]) && blockHasVariable(out, i, k)) {
        // Copy the block once, then skip every back-to-back copy of it.
        for (let j = 1; j < k; j++) next.push(out[i + j]!);
        let at = i + k;
        while (at + k <= out.length && sameBlock(out, i, k, at)) at += k;
        i = at;
      } else {
        i++;
      }
    }
    out = next;
  }
  return out;
}

function sameBlock(tokens: string[], start: number, k: number, other = start + k): boolean {
  for (let j = 0; j < k; j++) if (tokens[start + j] !== tokens[other + j]) return false;
  return true;
}

function blockHasVariable(tokens: string[], start: number, k: number): boolean {
  for (let j = 0; j < k; j++) if (tokens[start + j]!.includes(WILDCARD)) return true;
  return false;
}

/**
 * Whether `token` is an instance of `pattern`, each `<*>` in the pattern standing for any text
 * (`chdir(pwd)` is an instance of `chdir(<*>)`; `HTTPS` is not one of `SOCKS<*>`).
 */
export function isInstance(token: string, pattern: string): boolean {
  const parts = pattern.split(WILDCARD);
  if (parts.length === 1) return token === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!token.startsWith(first)) return false;
  // Each `<*>` stands for at least one character: `rhost=` is not an instance of `rhost=<*>`.
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = token.indexOf(parts[i]!, pos + 1);
    if (at < 0) return false;
    pos = at + parts[i]!.length;
  }
  return token.length - last.length >= pos + 1 && token.endsWith(last);
}
