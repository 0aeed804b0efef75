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
    trigger: /A[KSGIRNP][IPDOA]A/,
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
    name: 'password',
    pattern: new RegExp(`\\b(${PASSWORD_KEYS})${SEP}${VALUE}`, 'gi'),
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
    // throughout. Never a piece of a longer token: not after a word character, '-' or 'd.' (HDFS
    // `blk_-1608999687919862906`, `id-...`, `x4111...`, the decimals of `0.4111...`) and not before
    // one, nor inside a longer run of groups. `validate` then asks for a network's prefix and length
    // (`cardNetwork`) and the Luhn checksum.
    pattern: /(?<![\w-])(?<!\d\.)(?:[2-6]\d{12,18}|[2-6]\d{3}([ -])(?<!\d \d{4} )\d{4}\1\d{4}(?:\1\d{4})?(?:\1\d{1,3})?(?!\1\d)|[2-6]\d{3}([ -])(?<!\d \d{4} )\d{6}\2\d{4,5}(?!\2\d))(?![\w-]|\.\d)/g,
    replacement: (m: string) => `${MASK}${m.replace(/\D/g, '').slice(-4)}`,
    // Every match holds 13 digits in a row, or 4, 4 (or 6) and 4 digits with the same separator.
    trigger: /[2-6]\d{3}(?:\d{9}|([ -])\d{4}(?:\d\d)?\1\d{4})/,
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
    this.secretAttributes = !disabled.has(SECRET_ATTRIBUTE_RULE);
  }

  /** Redacts one string; adds to `counts` per rule that replaced something. */
  redact(text: string, counts?: RedactionCounts): string {
    // Each rule's trigger is a short scan; measured, separate triggers beat one combined
    // alternation by about 2x (see bench/redact.ts). A user rule's own pattern is its trigger.
    let out = text;
    // No built-in rule can match a value this short without ':', '=' or '@' (`cannotMatchBuiltins`):
    // the pid, ids, routes and flags of parsed lines skip the built-ins' ten scans.
    const from = this.builtins > 0 && cannotMatchBuiltins(text) ? this.builtins : 0;
    for (let i = from; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (rule.trigger !== undefined && !rule.trigger.test(out)) continue;
      let n = 0;
      rule.pattern.lastIndex = 0;
      out = out.replace(rule.pattern, (...args: unknown[]) => {
        const match = args[0] as string;
        if (rule.validate !== undefined && !rule.validate(match)) return match;
        let result: string;
        if (typeof rule.replacement === 'function') {
          // The groups sit between the match and the offset argument.
          const groups = args.slice(1, args.findIndex((a, i) => i > 0 && typeof a === 'number')) as string[];
          result = rule.replacement(match, ...groups);
        } else {
          result = expandReplacement(rule.replacement, args);
        }
        // A rule that meets an already-masked value leaves it alone and does not count it again.
        if (result !== match) n++;
        return result;
      });
      if (n > 0) {
        this.replaced += n;
        if (counts !== undefined) counts[rule.name] = (counts[rule.name] ?? 0) + n;
      }
    }
    return out;
  }

  /**
   * Redacts a record's body and attribute values in place; a value under a secret-named key
   * (`password`, `api_key`, `authorization`) is masked whole. Returns the number of replacements.
   */
  redactRecord(record: { body: string; attributes: Record<string, string> }, counts?: RedactionCounts): number {
    // Counted into `counts` directly (no per-record tally object).
    const tally = counts ?? {};
    this.replaced = 0;
    record.body = this.redact(record.body, tally);
    const attributes = record.attributes;
    for (const key in attributes) {
      const value = attributes[key]!;
      if (this.secretAttributes && value !== '' && value !== MASK && SECRET_ATTRIBUTE_KEY.test(key)) {
        attributes[key] = MASK;
        tally[SECRET_ATTRIBUTE_RULE] = (tally[SECRET_ATTRIBUTE_RULE] ?? 0) + 1;
        this.replaced++;
        continue;
      }
      attributes[key] = this.redact(value, tally);
    }
    return this.replaced;
  }
}

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
