/**
 * Redaction on the host, before anything leaves it: a record's body and attribute values in, the same
 * with secrets and personal data masked out, plus a count per rule. Built-in rules cover bearer tokens,
 * API keys, passwords in URLs and key=value pairs, AWS keys, JWTs, e-mail addresses and Luhn-valid card
 * numbers; users add their own and can switch built-ins off by name.
 */

/** One redaction rule. `pattern` must be global; `trigger` is a cheap test that must pass before it runs. */
export interface RedactionRule {
  name: string;
  pattern: RegExp;
  /** Replacement string (`$1`, `$<name>` allowed) or a function of the match. */
  replacement: string | ((match: string, ...groups: string[]) => string);
  /** A cheap regex that every match satisfies; a line that fails it skips the rule (the pre-check). */
  trigger?: RegExp;
  /** A match is replaced only when this returns true (Luhn for card numbers). */
  validate?: (match: string) => boolean;
}

/** A user rule as written in config. */
export interface UserRuleConfig {
  name: string;
  /** JavaScript regular expression. */
  pattern: string;
  /** Replacement, `$1`/`$<name>` allowed; default `***`. */
  replacement?: string;
  /** Flags besides `g` (which is always set), e.g. `i`. */
  flags?: string;
}

export interface RedactorOptions {
  /** Built-in rule names to switch off. */
  disabled?: string[];
  /** User rules, applied after the built-ins. */
  rules?: UserRuleConfig[];
}

/** Counts of replacements per rule name; pass one in to accumulate across calls. */
export type RedactionCounts = Record<string, number>;

const MASK = '***';

// Key names whose values are secrets wherever they appear as key=value, key: value or "key": "value".
const SECRET_KEYS = 'api[_-]?key|apikey|x-api-key|api[_-]?token|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key|secret|token';
const PASSWORD_KEYS = 'password|passwd|passphrase|pwd';
// separator: `=`, `: `, `":"`, `": "`, `'='`; value: quoted or up to a delimiter.
const SEP = `(["']?\\s*[:=]\\s*["']?)`;
const VALUE = `([^\\s"'&,;}\\]]+)`;

/** A word in any case, as a regular expression without the `i` flag: `by` -> `[Bb][Yy]`. */
function anyCase(word: string): string {
  return [...word].map((c) => `[${c.toUpperCase()}${c}]`).join('');
}
const SQL_IDENTIFIED = '(?:IDENTIFIED|[Ii]dentified)';
const SQL_PASSWORD = '(?:PASSWORD|[Pp]assword)';

/** Luhn checksum over the digits of a card-number candidate. */
export function luhnValid(candidate: string): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = candidate.length - 1; i >= 0; i--) {
    const c = candidate.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    digits++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/**
 * Issuer prefixes (IIN ranges) and lengths of the major card networks, as the networks publish them:
 * [first prefix, last prefix, lengths]. Prefixes of different widths are compared on as many leading digits.
 */
const CARD_NETWORKS: ReadonlyArray<readonly [string, number, number, readonly number[]]> = [
  ['visa', 4, 4, [13, 16, 19]],
  ['mastercard', 51, 55, [16]],
  ['mastercard', 2221, 2720, [16]],
  ['amex', 34, 34, [15]],
  ['amex', 37, 37, [15]],
  ['discover', 6011, 6011, [16, 17, 18, 19]],
  ['discover', 644, 649, [16, 17, 18, 19]],
  ['discover', 65, 65, [16, 17, 18, 19]],
  ['unionpay', 62, 62, [16, 17, 18, 19]],
  ['jcb', 3528, 3589, [16, 17, 18, 19]],
  ['diners', 300, 305, [14, 15, 16, 17, 18, 19]],
  ['diners', 3095, 3095, [14, 15, 16, 17, 18, 19]],
  ['diners', 36, 36, [14, 15, 16, 17, 18, 19]],
  ['diners', 38, 39, [14, 15, 16, 17, 18, 19]],
  ['maestro', 5018, 5018, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 5020, 5020, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 5038, 5038, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 5893, 5893, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 6304, 6304, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 6759, 6759, [13, 14, 15, 16, 17, 18, 19]],
  ['maestro', 6761, 6763, [13, 14, 15, 16, 17, 18, 19]],
  ['dankort', 5019, 5019, [16]],
  ['mir', 2200, 2204, [16, 17, 18, 19]],
  ['rupay', 60, 60, [16]],
  ['rupay', 508, 508, [16]],
  ['verve', 506099, 506198, [16, 18, 19]],
  ['verve', 507865, 507964, [16, 18, 19]],
  ['verve', 650002, 650027, [16, 18, 19]],
];

/** The network whose prefix and length `digits` (digits only) has, else undefined. */
export function cardNetwork(digits: string): string | undefined {
  for (const [name, lo, hi, lengths] of CARD_NETWORKS) {
    if (!lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, String(lo).length));
    if (prefix >= lo && prefix <= hi) return name;
  }
  return undefined;
}

/** The built-in rules, in the order they run (more specific first, so each secret is counted once). */
export const BUILTIN_RULES: readonly RedactionRule[] = [
  {
    name: 'url_password',
    // scheme://user:pass@host -> scheme://user:***@host
    pattern: /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:@/?#]+):([^\s@/?#]+)@/g,
    replacement: `$1:${MASK}@`,
    trigger: /:\/\//,
  },
  {
    name: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replacement: MASK,
    trigger: /eyJ/,
  },
  {
    name: 'authorization_header',
    // Authorization: <scheme> <credentials> (Basic, Bearer, Digest, ...): the credentials go, the scheme stays.
    pattern: /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)((?:[A-Za-z]+\s+)?)([^\s"',;]+)/gi,
    replacement: (_m, key: string, sep: string, scheme: string, cred: string) => cred === MASK ? _m : `${key}${sep}${scheme}${MASK}`,
    trigger: /authorization/i,
  },
  {
    name: 'bearer_token',
    // A real token is long or has digits; "bearer of bad news" is not one.
    pattern: /\b(Bearer)(\s+)(?:(?=[\w\-.~+/]*\d)[\w\-.~+/]{8,}|[\w\-.~+/]{16,})=*/gi,
    replacement: (_m, scheme: string, space: string) => `${scheme}${space}${MASK}`,
    trigger: /bearer/i,
  },
  {
    name: 'aws_access_key',
    pattern: /\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b/g,
    replacement: (m: string) => m.slice(0, 4) + MASK,
    // The second and third letters of every prefix above (ANVA's V too).
    trigger: /A[KSGIRNP][IPDOV]A/,
  },
  {
    name: 'aws_secret_key',
    pattern: new RegExp(`\\b(aws_?secret_?(?:access_?)?key|secret_?access_?key)${SEP}([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`, 'gi'),
    replacement: `$1$2${MASK}`,
    trigger: /secret_?access|aws_?secret/i,
  },
  {
    name: 'token_prefix',
    // Providers' self-identifying secrets: Stripe, GitHub, Slack, GitLab, Google, npm, OpenAI, SendGrid.
    pattern: /\b(sk_live_|sk_test_|rk_live_|rk_test_|whsec_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|xox[bpoars]-|xapp-|glpat-|AIza|npm_|sk-(?:proj-)?|SG\.)[A-Za-z0-9_\-.]{10,}/g,
    replacement: `$1${MASK}`,
    // The exact prefixes: a looser class (`[bpoarstk]-`) fires on `worker-1` and costs a full scan.
    trigger: /(?:sk|rk|gh[pousr]|npm|whsec|github_pat)_|(?:xox[bpoars]|xapp|glpat|sk)-|AIza|SG\./,
  },
  {
    name: 'api_key',
    pattern: new RegExp(`\\b(${SECRET_KEYS})${SEP}${VALUE}`, 'gi'),
    replacement: (_m, key: string, sep: string, value: string) => value.startsWith(MASK) || value.endsWith(MASK) ? `${key}${sep}${value}` : `${key}${sep}${MASK}`,
    trigger: /key|token|secret/i,
  },
  {
    name: 'sql_password',
    // A password in a SQL statement, as a database's general or audit log writes what clients sent
    // (MariaDB's general log keeps them; MySQL 8 rewrites its own): `IDENTIFIED BY 'x'`,
    // `IDENTIFIED WITH plugin BY 'x'`, `IDENTIFIED VIA plugin USING 'x'`, `PASSWORD('x')`,
    // `SET PASSWORD ... = 'x'`. The quotes stay, what is between them goes ('' and \' inside included;
    // an empty literal is no secret, so the shortest match, `PASSWORD('x')`, has the 13 characters
    // BUILTIN_MIN_PLAIN_MATCH counts on).
    // IDENTIFIED and PASSWORD in upper, lower or capitalised case (so the pre-scan can look for them
    // exactly); the other keywords in any case.
    pattern: new RegExp(`\\b((?:${SQL_IDENTIFIED}\\s+(?:(?:${anyCase('with')}|${anyCase('via')})\\s+\\w+\\s+)?(?:${anyCase('by')}|${anyCase('as')}|${anyCase('using')})\\s+(?:${SQL_PASSWORD}\\s+)?)|${SQL_PASSWORD}\\s*\\(\\s*|${anyCase('set')}\\s+${SQL_PASSWORD}\\s+(?:${anyCase('for')}\\s+\\S+\\s+)?=\\s*)('(?:[^'\\\\]|\\\\.|'')+'|"(?:[^"\\\\]|\\\\.|"")+")`, 'g'),
    replacement: (m: string, head: string, literal: string) => (literal.slice(1, -1) === MASK ? m : `${head}${literal[0]}${MASK}${literal[0]}`),
    trigger: /DENTIFIED|dentified|ASSWORD|assword/,
  },
  {
    name: 'password',
    // Not sudo's working directory (`TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=...`, every
    // sudo line of auth.log): a path, then sudo's ` ; USER=`. Nor MySQL's and MariaDB's refused login,
    // `Access denied for user 'x'@'h' (using password: YES)`, which says whether one was given.
    pattern: new RegExp(`\\b(?!PWD=\\/[^\\s;]* ; USER=)(?!password: (?:YES|NO)\\))(${PASSWORD_KEYS})${SEP}${VALUE}`, 'gi'),
    replacement: (_m, key: string, sep: string, value: string) => value === MASK ? `${key}${sep}${value}` : `${key}${sep}${MASK}`,
    trigger: /pass|pwd/i,
  },
  {
    name: 'email',
    // Not the user part of a URL (`https://user@host`), which is not an address.
    pattern: /(?<![\w.%+-])(?<!\/\/)[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b/g,
    replacement: `${MASK}@$1`,
    trigger: /@/,
  },
  {
    name: 'card_number',
    // A card number as people write it: 13-19 digits in one run, or groups of four (the last group
    // 1-4), or Amex/Diners 4-6-5 / 4-6-4, the groups separated by the same single space or dash
    // throughout. Never a piece of a longer token: not after a word character, '-' or a digit and
    // '.' (HDFS `blk_-4980916519894289629`, `id-...`, `x4111...`, the decimals of `0.4111...`), not
    // before one, nor inside a longer run of space-separated groups. `validate` then asks for a network's prefix and length
    // (`cardNetwork`) and the Luhn checksum.
    pattern: /(?<![\w-])(?<!\d\.)(?:[2-6]\d{12,18}|[2-6]\d{3}([ -])(?<!\d \d{4} )\d{4}\1\d{4}(?:\1\d{4})?(?:\1\d{1,3})?(?!\1\d)|[2-6]\d{3}([ -])(?<!\d \d{4} )\d{6}\2\d{4,5}(?!\2\d))(?![\w-]|\.\d)/g,
    replacement: (m: string) => `${MASK}${m.replace(/\D/g, '').slice(-4)}`,
    // Every match holds 13 digits in a row, or 4, 4 (or 6) and 4 digits with the same separator, and
    // starts where the pattern's look-behinds allow: ids with a long digit run after a word character
    // or '-' (HDFS's `blk_-4980916519894289629`, `job_1445144423722_0020`) fail here, not in the pattern.
    trigger: /(?<![\w-])(?<!\d\.)[2-6]\d{3}(?:\d{9}|([ -])\d{4}(?:\d\d)?\1\d{4})/,
    validate: (m: string) => {
      const digits = m.replace(/\D/g, '');
      return cardNetwork(digits) !== undefined && luhnValid(digits);
    },
  },
];

export const BUILTIN_RULE_NAMES: readonly string[] = BUILTIN_RULES.map((r) => r.name);

/** Attribute keys whose whole value is a secret (`password`, `db.api_key`, `Authorization`, ...). */
const SECRET_ATTRIBUTE_KEY = new RegExp(`(?:^|[._-])(?:${SECRET_KEYS}|${PASSWORD_KEYS}|authorization|cookie|set-cookie|credentials?)$`, 'i');
/** Name under which whole-attribute redactions are counted (and disabled). */
export const SECRET_ATTRIBUTE_RULE = 'secret_attribute';

/** Compiles a user rule; throws with the rule's name when its pattern does not compile. */
export function compileUserRule(rule: UserRuleConfig): RedactionRule {
  let pattern: RegExp;
  try {
    pattern = new RegExp(rule.pattern, 'g' + (rule.flags ?? '').replace(/[gy]/g, ''));
  } catch (err) {
    throw new Error(`redaction rule "${rule.name}": ${(err as Error).message}`);
  }
  if (pattern.test('')) throw new Error(`redaction rule "${rule.name}": the pattern matches the empty string`);
  return { name: rule.name, pattern, replacement: rule.replacement ?? MASK };
}

/** Masks secrets in record text. Build once per pipeline; `redact` is safe to call on every line. */
export class Redactor {
  readonly rules: readonly RedactionRule[];
  /** How many of `rules`, from the start, are built-ins. */
  private readonly builtins: number;
  private readonly secretAttributes: boolean;
  /** Replacements since the last `redactRecord` began. */
  private replaced = 0;
  /** Per built-in in `rules`, its bit in `builtinCandidates`. */
  private readonly bits: readonly number[];
  private readonly attributeMemo = new Map<string, AttributeMemo>();
  /**
   * Attribute values no rule changed, whatever name they came under (what rules do to a value does not
   * depend on its name): loggers, threads, header fields that take a few dozen values in turn, where
   * the last value per name (`AttributeMemo.clean`) misses nearly every time. Bounded by
   * `CLEAN_VALUES` entries of at most `ATTRIBUTE_MEMO_VALUE_CHARS` characters, started over when full.
   */
  private readonly cleanValues = new Set<string>();
  /**
   * Bodies no rule changed, and their memo: a program writes many of its messages word for word again
   * (in Loghub's samples 86 % of Linux's bodies are repeats of one before, 63-67 % of Hadoop's and HPC's,
   * 32-47 % of BGL's, HealthApp's and Proxifier's; none of HDFS's, whose every message holds a block id),
   * and a body costs more to redact than any attribute value. Apart from `cleanValues`, so that a
   * stream of distinct messages does not empty what attribute values keep there; under the same
   * bounds and the same trial (`useShared`), which turns it off for bodies that rarely repeat.
   */
  private readonly cleanBodies = new Set<string>();
  private readonly bodyMemo: AttributeMemo = { secret: false, clean: undefined, values: 0, looks: 0, hits: 0, share: BODY_SHARE, lastOnlyShared: true };
  /** Bodies and attribute values skipped because the same text had been seen clean before (by its memo or a shared set). */
  skippedClean = 0;

  constructor(options: RedactorOptions = {}) {
    const disabled = new Set(options.disabled ?? []);
    for (const name of disabled) {
      if (!BUILTIN_RULE_NAMES.includes(name) && name !== SECRET_ATTRIBUTE_RULE) {
        throw new Error(`unknown built-in redaction rule "${name}"; known: ${[...BUILTIN_RULE_NAMES, SECRET_ATTRIBUTE_RULE].join(', ')}`);
      }
    }
    const builtins = BUILTIN_RULES.filter((r) => !disabled.has(r.name));
    const user = (options.rules ?? []).map(compileUserRule);
    this.rules = [...builtins, ...user];
    this.builtins = builtins.length;
    this.bits = builtins.map((r) => CANDIDATE_BIT[r.name]!);
    this.secretAttributes = !disabled.has(SECRET_ATTRIBUTE_RULE);
  }

  /** Redacts one string; adds to `counts` per rule that replaced something. */
  redact(text: string, counts?: RedactionCounts): string {
    let out = text;
    const rules = this.rules;
    let i = 0;
    if (this.builtins > 0) {
      // No built-in rule can match a value this short without ':', '=' or '@' (`cannotMatchBuiltins`):
      // the pid, ids, routes and flags of parsed lines skip the built-ins altogether. Otherwise one
      // pre-scan (`builtinCandidates`, a few searches for rare characters) says which built-ins can
      // match at all; only those run their trigger and pattern. It looks at the text as it came in,
      // and holds for what earlier rules made of it: what it looks for are pieces without '*' that
      // a match needs, and a replacement keeps pieces of the text and puts `***` where it cut, so a
      // piece without '*' in the output was in the text (but for the last four digits `card_number`
      // writes after its mask, and no built-in runs after it).
      if (!cannotMatchBuiltins(text)) {
        const candidates = builtinCandidates(text);
        const bits = this.bits;
        for (; i < this.builtins; i++) {
          if ((candidates & bits[i]!) !== 0) out = this.apply(rules[i]!, out, counts);
        }
      }
      i = this.builtins;
    }
    // A user rule's own pattern is its trigger.
    for (; i < rules.length; i++) out = this.apply(rules[i]!, out, counts);
    return out;
  }

  private apply(rule: RedactionRule, out: string, counts: RedactionCounts | undefined): string {
    if (rule.trigger !== undefined && !rule.trigger.test(out)) return out;
    let n = 0;
    rule.pattern.lastIndex = 0;
    const result = out.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      if (rule.validate !== undefined && !rule.validate(match)) return match;
      let replaced: string;
      if (typeof rule.replacement === 'function') {
        // The groups sit between the match and the offset argument.
        const groups = args.slice(1, args.findIndex((a, k) => k > 0 && typeof a === 'number')) as string[];
        replaced = rule.replacement(match, ...groups);
      } else {
        replaced = expandReplacement(rule.replacement, args);
      }
      // A rule that meets an already-masked value leaves it alone and does not count it again.
      if (replaced !== match) n++;
      return replaced;
    });
    if (n > 0) {
      this.replaced += n;
      if (counts !== undefined) counts[rule.name] = (counts[rule.name] ?? 0) + n;
    }
    return result;
  }

  /** What is remembered of an attribute name (made once per name, the memo is bounded). */
  private attribute(key: string): AttributeMemo {
    let memo = this.attributeMemo.get(key);
    if (memo === undefined) {
      memo = { secret: SECRET_ATTRIBUTE_KEY.test(key), clean: undefined, values: 0, looks: 0, hits: 0, share: ATTRIBUTE_SHARE, lastOnlyShared: false };
      // A flood of distinct names (ids used as keys) starts the memo over instead of growing it.
      if (this.attributeMemo.size >= ATTRIBUTE_MEMO_NAMES) this.attributeMemo.clear();
      this.attributeMemo.set(key, memo);
    }
    return memo;
  }

  /**
   * Redacts a record's body and attribute values in place; a value under a secret-named key
   * (`password`, `api_key`, `authorization`) is masked whole. Returns the number of replacements.
   */
  redactRecord(record: { body: string; attributes: Record<string, string> }, counts?: RedactionCounts): number {
    // Counted into `counts` directly (no per-record tally object).
    const tally = counts ?? {};
    this.replaced = 0;
    record.body = this.redactSeen(record.body, this.bodyMemo, this.cleanBodies, tally);
    const attributes = record.attributes;
    for (const key in attributes) {
      const value = attributes[key]!;
      // Attribute names repeat from record to record, and so do many values under them (loggers,
      // threads, hosts, routes): whether the name is a secret, and the last value under it that no
      // rule changed, are remembered per name, so a repeated value costs one comparison.
      const memo = this.attribute(key);
      if (this.secretAttributes && value !== '' && value !== MASK && memo.secret) {
        attributes[key] = MASK;
        tally[SECRET_ATTRIBUTE_RULE] = (tally[SECRET_ATTRIBUTE_RULE] ?? 0) + 1;
        this.replaced++;
        continue;
      }
      const out = this.redactSeen(value, memo, this.cleanValues, tally);
      if (out !== value) attributes[key] = out;
    }
    return this.replaced;
  }

  /**
   * `redact(value)`, or the value as it is when it was seen clean before: the last clean value under
   * `memo`'s name, or one in `clean` (while the name's values are found there often enough, `useShared`).
   * What the rules do to a text does not depend on where it stands, so a clean value stays clean.
   */
  private redactSeen(value: string, memo: AttributeMemo, clean: Set<string>, tally: RedactionCounts): string {
    if (value === memo.clean) {
      this.skippedClean++;
      return value;
    }
    // Shorter values are cheap to redact (`cannotMatchBuiltins`), longer ones not worth keeping.
    const keep = value.length >= BUILTIN_MIN_PLAIN_MATCH && value.length <= ATTRIBUTE_MEMO_VALUE_CHARS;
    const shared = keep && useShared(memo);
    if (shared) {
      memo.looks++;
      if (clean.has(value)) {
        memo.hits++;
        this.skippedClean++;
        return value;
      }
    }
    const before = this.replaced;
    const out = this.redact(value, tally);
    if (this.replaced === before && keep && (shared || !memo.lastOnlyShared)) {
      // A copy of its own (the value may be a slice that keeps its whole line alive).
      const copy = (' ' + value).slice(1);
      memo.clean = copy;
      if (shared) {
        if (clean.size >= CLEAN_VALUES) clean.clear();
        clean.add(copy);
      }
    }
    return out;
  }
}

interface AttributeMemo {
  /** The name is a secret's (`SECRET_ATTRIBUTE_KEY`). */
  readonly secret: boolean;
  /** The last value under this name that redaction left as it was. */
  clean: string | undefined;
  /** Values seen under this name since its last verdict on `cleanValues`, and how many of them were looked up there and found. */
  values: number;
  looks: number;
  hits: number;
  /** One in how many look-ups must find its value for the name to keep using the set (`useShared`). */
  readonly share: number;
  /**
   * The last clean value is kept only while the set is in use: bodies' (a copy per distinct message is
   * a cost of its own where messages rarely repeat); an attribute name's last value always.
   */
  readonly lastOnlyShared: boolean;
}

/**
 * Whether values under this name are looked up in (and added to) the shared clean values. Names whose
 * values rarely repeat (request ids, time stamps in a header) would only pay a hash and an insert per
 * value and crowd the others out: after `SHARED_TRIAL` look-ups, a name that found fewer than one in
 * `memo.share` of its values there stops using it, until `SHARED_VERDICT_VALUES` more values have passed
 * (a program's mix of lines changes).
 */
function useShared(memo: AttributeMemo): boolean {
  if (++memo.values >= SHARED_VERDICT_VALUES) {
    memo.values = 0;
    memo.looks = 0;
    memo.hits = 0;
  }
  return memo.looks < SHARED_TRIAL || memo.hits * memo.share >= memo.looks;
}

const SHARED_TRIAL = 256;
/**
 * The share of look-ups that must find their value for a name to keep using its set: a quarter for
 * attribute values, half for bodies. A miss costs a hash of the whole text, an insert and a copy; at
 * a quarter, bodies cost more than they saved (in Loghub's samples, a fresh Redactor per 2,000 lines:
 * HealthApp's and Proxifier's bodies, 41 and 47 % repeats, 11-12 % dearer to redact; Linux's, 86 %,
 * half as dear).
 */
const ATTRIBUTE_SHARE = 4;
const BODY_SHARE = 2;
const SHARED_VERDICT_VALUES = 65_536;
/** Clean attribute values a Redactor remembers, and clean bodies apart (each of at most ATTRIBUTE_MEMO_VALUE_CHARS characters: at most about half a megabyte a set). */
const CLEAN_VALUES = 1024;

/** How many attribute names a Redactor remembers, and the longest value remembered as clean: at most about 1-2 MB per Redactor (and the two sets of CLEAN_VALUES, half a megabyte each). */
const ATTRIBUTE_MEMO_NAMES = 4096;
const ATTRIBUTE_MEMO_VALUE_CHARS = 256;

/**
 * True when no built-in rule can match anywhere in `text`: every built-in match either holds ':',
 * '=' or '@' (url_password, authorization_header, aws_secret_key, api_key, password, email) or is
 * at least 13 characters long (jwt 16, bearer_token 15, aws_access_key 20, token_prefix 13,
 * card_number 13 digits). test/agents/transforms/redact.test.ts checks the bound against every rule.
 */
export function cannotMatchBuiltins(text: string): boolean {
  const n = text.length;
  if (n > BUILTIN_MIN_PLAIN_MATCH - 1) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */ || c === 61 /* = */ || c === 64 /* @ */) return false;
  }
  return true;
}

/** The shortest match of a built-in rule without ':', '=' or '@' (token_prefix's `SG.` and ten more; 13 card digits). */
export const BUILTIN_MIN_PLAIN_MATCH = 13;

/** A bit per built-in rule (its index in `BUILTIN_RULES`), for `builtinCandidates`. */
export const CANDIDATE_BIT: Readonly<Record<string, number>> = Object.fromEntries(BUILTIN_RULES.map((r, i) => [r.name, 2 ** i]));
const BIT = CANDIDATE_BIT as Record<string, number>;
/** Rules whose trigger is their only pre-check (no rarer character to look for first). */
const ALWAYS = BIT.bearer_token! | BIT.card_number!;

/**
 * Which built-in rules can match somewhere in `text`, as bits of `CANDIDATE_BIT`: a rule whose bit
 * is clear cannot match (its pattern needs what the scan did not find), one whose bit is set still
 * runs its trigger and pattern. Searches for single rare characters and short literals (memchr-like,
 * far cheaper than the eleven triggers, which are regexes over common letters: `key|token|secret`
 * with `i` costs more than all of this together on a 150-character message):
 * - `url_password` needs `://` and `@`, `email` needs `@`, `jwt` needs `.eyJ`, `aws_access_key` an `A`;
 * - `authorization_header`, `aws_secret_key`, `api_key` and `password` need their key right before
 *   `["']?\s*[:=]`: each ':' and '=' is looked at, and the last three letters before it (skipping
 *   spaces and one quote) must end one of their keys (`keyedBefore`);
 * - `token_prefix` needs `AIza`, `SG.`, or a '_' or '-' right after the end of a known prefix.
 * test/agents/transforms/redact.test.ts checks on random and real lines that no rule whose bit is
 * clear matches.
 */
export function builtinCandidates(text: string): number {
  let m = ALWAYS;
  if (text.indexOf('@') !== -1) {
    m |= BIT.email!;
    if (text.indexOf('://') !== -1) m |= BIT.url_password!;
  }
  if (text.indexOf('.eyJ') !== -1) m |= BIT.jwt!;
  if (text.indexOf('A') !== -1) m |= BIT.aws_access_key!;
  for (let p = text.indexOf('='); p !== -1; p = text.indexOf('=', p + 1)) m |= keyedBefore(text, p);
  for (let p = text.indexOf(':'); p !== -1; p = text.indexOf(':', p + 1)) m |= keyedBefore(text, p);
  if (tokenPrefixCandidate(text)) m |= BIT.token_prefix!;
  // A quoted literal after IDENTIFIED or PASSWORD (their words looked for only where a quote is).
  if ((text.indexOf("'") !== -1 || text.indexOf('"') !== -1) && sqlPasswordCandidate(text)) m |= BIT.sql_password!;
  return m;
}

/** Whether `text` holds IDENTIFIED or PASSWORD as sql_password's pattern reads them (upper, lower or capitalised). */
function sqlPasswordCandidate(text: string): boolean {
  return text.indexOf('DENTIFIED') !== -1 || text.indexOf('dentified') !== -1 || text.indexOf('ASSWORD') !== -1 || text.indexOf('assword') !== -1;
}

const KEYED_KEY = BIT.aws_secret_key! | BIT.api_key!;

/** The keyed rules that a key ending right before the separator at `p` could belong to (see builtinCandidates). */
function keyedBefore(text: string, p: number): number {
  let j = p - 1;
  while (j >= 0 && isRegExpSpace(text.charCodeAt(j))) j--;
  if (j >= 0) {
    const q = text.charCodeAt(j);
    if (q === 34 /* " */ || q === 39 /* ' */) j--;
  }
  if (j < 2) return 0;
  // Lower case for ASCII letters (the rules' `i` flag folds nothing else onto them).
  const a = text.charCodeAt(j - 2) | 32;
  const b = text.charCodeAt(j - 1) | 32;
  const c = text.charCodeAt(j) | 32;
  // ...key (api_key, secret_key, aws_secret_access_key, ...), ...ken (token), ...ret (secret)
  if (a === 107 && b === 101 && c === 121) return KEYED_KEY;
  if ((a === 107 && b === 101 && c === 110) || (a === 114 && b === 101 && c === 116)) return BIT.api_key!;
  // password, passwd, passphrase, pwd
  if ((a === 111 && b === 114 && c === 100) || (a === 115 && b === 119 && c === 100) || (a === 97 && b === 115 && c === 101) || (a === 112 && b === 119 && c === 100)) return BIT.password!;
  // authorization
  if (a === 105 && b === 111 && c === 110) return BIT.authorization_header!;
  return 0;
}

/** `\s` of a JavaScript regular expression: WhiteSpace and LineTerminator. */
export function isRegExpSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The two characters before '_' (or '-') of every prefix of `token_prefix` that ends with one, indexed `c1 << 7 | c2`. */
const UNDERSCORE_PREFIX_END = pairTable(['sk', 'rk', 'hp', 'ho', 'hu', 'hs', 'hr', 'pm', 'ec', 'at']); // sk_ rk_ ghp_.. npm_ whsec_ github_pat_
const DASH_PREFIX_END = pairTable(['xb', 'xp', 'xo', 'xa', 'xr', 'xs', 'pp', 'at', 'sk']); // xox?- xapp- glpat- sk-

function pairTable(pairs: string[]): Uint8Array {
  const t = new Uint8Array(1 << 14);
  for (const p of pairs) t[(p.charCodeAt(0) << 7) | p.charCodeAt(1)] = 1;
  return t;
}

function tokenPrefixCandidate(text: string): boolean {
  if (text.indexOf('AIza') !== -1 || text.indexOf('SG.') !== -1) return true;
  return pairBefore(text, '_', UNDERSCORE_PREFIX_END) || pairBefore(text, '-', DASH_PREFIX_END);
}

function pairBefore(text: string, sep: string, table: Uint8Array): boolean {
  for (let p = text.indexOf(sep, 2); p !== -1; p = text.indexOf(sep, p + 1)) {
    const c1 = text.charCodeAt(p - 2);
    const c2 = text.charCodeAt(p - 1);
    if (c1 < 128 && c2 < 128 && table[(c1 << 7) | c2] === 1) return true;
  }
  return false;
}

/** `$1`, `$<name>` and `$$` in a user replacement, resolved against the arguments of a replace callback. */
function expandReplacement(template: string, args: unknown[]): string {
  if (!template.includes('$')) return template;
  const offsetIdx = args.findIndex((a, i) => i > 0 && typeof a === 'number');
  const groups = args.slice(1, offsetIdx) as Array<string | undefined>;
  const named = (typeof args[args.length - 1] === 'object' ? args[args.length - 1] : undefined) as Record<string, string | undefined> | undefined;
  return template.replace(/\$(\$|&|\d{1,2}|<([^>]+)>)/g, (whole, ref: string, name: string | undefined) => {
    if (ref === '$') return '$';
    if (ref === '&') return args[0] as string;
    if (name !== undefined) return named?.[name] ?? '';
    const i = Number(ref);
    return i >= 1 && i <= groups.length ? groups[i - 1] ?? '' : whole;
  });
}
