import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BUILTIN_RULE_NAMES, BUILTIN_RULES, builtinCandidates, CANDIDATE_BIT, cannotMatchBuiltins, cardNetwork, isRegExpSpace, luhnValid, Redactor, type RedactionCounts } from '../../../agents/transforms/redact.ts';

/** `n` strings of 1-10 of `pieces` each, from a fixed seed, each handed to `check` (a generator's high bits: its low bits repeat with short periods). */
function joinsOfPieces(pieces: readonly string[], seed: number, n: number, check: (s: string) => void): void {
  const rand = (k: number) => (((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 15) % k);
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let k = 1 + rand(10); k > 0; k--) s += pieces[rand(pieces.length)];
    check(s);
  }
}

/** Every line of the eight Loghub samples. */
/** The sixteen Loghub samples' raw lines (the first eight in loghub-2k, the other eight in loghub-2k-more). */
function loghubLines(): string[] {
  const read = (folder: string, systems: string[]): string[] =>
    systems.flatMap((sys) => readFileSync(new URL(`../../fixtures/${folder}/${sys}/${sys}_2k.log`, import.meta.url), 'utf8').split('\n'));
  return [
    ...read('loghub-2k', ['BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux', 'OpenStack', 'Proxifier']),
    ...read('loghub-2k-more', ['Android', 'Apache', 'Mac', 'OpenSSH', 'Spark', 'Thunderbird', 'Windows', 'Zookeeper']),
  ];
}

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

test('built-in rules mask what they should and count it', () => {
  const cases: Array<[string, string, RedactionCounts]> = [
    [`Authorization: Bearer ${JWT}`, 'Authorization: Bearer ***', { jwt: 1 }],
    ['sent Bearer abcdef0123456789 upstream', 'sent Bearer *** upstream', { bearer_token: 1 }],
    ['authorization="Basic dXNlcjpwYXNz"', 'authorization="Basic ***"', { authorization_header: 1 }],
    ['GET /q?api_key=abcd1234&x=1', 'GET /q?api_key=***&x=1', { api_key: 1 }],
    ['x-api-key: 0123456789abcdef', 'x-api-key: ***', { api_key: 1 }],
    ['{"apiKey":"abcd1234","client_secret": "s3cr3t"}', '{"apiKey":"***","client_secret": "***"}', { api_key: 2 }],
    ['login password=hunter2 user=bob', 'login password=*** user=bob', { password: 1 }],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_***', { token_prefix: 1 }],
    ['ghp_16C7e42F292c6912E7710c838347Ae178B4a and github_pat_11ABCDEFG0123456789_abcdefghij', 'ghp_*** and github_pat_***', { token_prefix: 2 }],
    ['xoxb-123456789012-abcdefghijkl and xoxp-1-2-3-abcdefghijk', 'xoxb-*** and xoxp-***', { token_prefix: 2 }],
    ['postgres://app:s3cr3t@db.internal:5432/app', 'postgres://app:***@db.internal:5432/app', { url_password: 1 }],
    ['https://user@example.com/path', 'https://user@example.com/path', {}],
    ['AKIAIOSFODNN7EXAMPLE ASIAIOSFODNN7EXAMPLE', 'AKIA*** ASIA***', { aws_access_key: 2 }],
    ['key id ANVAIOSFODNN7EXAMPLE', 'key id ANVA***', { aws_access_key: 1 }],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = ***', { aws_secret_key: 1 }],
    [`token=${JWT}`, 'token=***', { jwt: 1 }],
    ['contact jane.doe+ops@example.co.uk now', 'contact ***@example.co.uk now', { email: 1 }],
    ['card 4111 1111 1111 1111 ok', 'card ***1111 ok', { card_number: 1 }],
    ['card 4111-1111-1111-1111', 'card ***1111', { card_number: 1 }],
    ['amex 378282246310005', 'amex ***0005', { card_number: 1 }],
    // Luhn-invalid numbers, epoch-ms timestamps and ids are left alone.
    ['card 4111 1111 1111 1112', 'card 4111 1111 1111 1112', {}],
    ['ts=1764000000123 id=12345678901234567', 'ts=1764000000123 id=12345678901234567', {}],
    ['2026-11-24 10:00:00,123 INFO took 42 ms', '2026-11-24 10:00:00,123 INFO took 42 ms', {}],
    ['bearer of bad news; token validation failed; 0 errors', 'bearer of bad news; token validation failed; 0 errors', {}],
    // sudo's working directory is no password; PWD in a connection string, or without sudo's ` ; USER=` after it, is one.
    ['alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx', 'alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx', {}],
    ['Driver={ODBC Driver 18};Server=db;UID=sa;PWD=/s3cr3t;', 'Driver={ODBC Driver 18};Server=db;UID=sa;PWD=***;', { password: 1 }],
    ['pwd=hunter2 ; USER=root', 'pwd=*** ; USER=root', { password: 1 }],
    // Passwords in SQL statements, as MariaDB's general log writes them (test/fixtures/programs/mariadb-general.log).
    ["CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 's3cret-pass'", "CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '***'", { sql_password: 1 }],
    ["alter user app identified with mysql_native_password by \"x9!p''a\\\"ss\"", "alter user app identified with mysql_native_password by \"***\"", { sql_password: 1 }],
    ["SET PASSWORD FOR 'app'@'%' = PASSWORD('it''s')", "SET PASSWORD FOR 'app'@'%' = PASSWORD('***')", { sql_password: 1 }],
    ["create user u identified by 'pw'; CREATE USER v Identified By 'pw'", "create user u identified by '***'; CREATE USER v Identified By '***'", { sql_password: 2 }],
    ["SET PASSWORD = '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'", "SET PASSWORD = '***'", { sql_password: 1 }],
    ["CREATE USER u Identified Via ed25519 Using PASSWORD('pw1') OR unix_socket", "CREATE USER u Identified Via ed25519 Using PASSWORD('***') OR unix_socket", { sql_password: 1 }],
    ["GRANT ALL ON *.* TO 'bob'@'%' IDENTIFIED BY 'pw1', 'eve'@'%' IDENTIFIED BY 'pw2'", "GRANT ALL ON *.* TO 'bob'@'%' IDENTIFIED BY '***', 'eve'@'%' IDENTIFIED BY '***'", { sql_password: 2 }],
    // MySQL's refused login says whether a password was given; that is no password.
    ["Access denied for user 'root'@'localhost' (using password: YES)", "Access denied for user 'root'@'localhost' (using password: YES)", {}],
    ['connecting using password: hunter2)', 'connecting using password: ***', { password: 1 }],
    // No literal, no secret: a random password asked for, a column named password.
    ["CREATE USER u IDENTIFIED BY RANDOM PASSWORD; SELECT password FROM users WHERE id = '7'", "CREATE USER u IDENTIFIED BY RANDOM PASSWORD; SELECT password FROM users WHERE id = '7'", {}],
  ];
  const r = new Redactor();
  for (const [input, want, wantCounts] of cases) {
    const counts: RedactionCounts = {};
    assert.equal(r.redact(input, counts), want, input);
    assert.deepEqual(counts, wantCounts, input);
  }
});

test('card numbers of every major network, written the usual ways, are masked', () => {
  const r = new Redactor();
  const cases: Array<[string, string]> = [
    ['visa 4111111111111111', 'visa ***1111'],
    ['visa 4111 1111 1111 1111 ok', 'visa ***1111 ok'],
    ['visa 4012-8888-8888-1881', 'visa ***1881'],
    ['visa13 4222222222222', 'visa13 ***2222'],
    ['visa (19 digits) 4000 0000 0000 0000 006', 'visa (19 digits) ***0006'],
    ['mc 5555555555554444', 'mc ***4444'],
    ['mc 5105 1051 0510 5100', 'mc ***5100'],
    ['mc2 2223-0031-2200-3222', 'mc2 ***3222'],
    ['amex 378282246310005', 'amex ***0005'],
    ['amex 3714 496353 98431', 'amex ***8431'],
    ['amex 3782-822463-10005', 'amex ***0005'],
    ['discover 6011 1111 1111 1117', 'discover ***1117'],
    ['diners 3056 930902 5904', 'diners ***5904'],
    ['diners 36227206271667', 'diners ***1667'],
    ['jcb 3530111333300000', 'jcb ***0000'],
    ['unionpay 6200 0000 0000 0005', 'unionpay ***0005'],
    ['maestro 6759649826438453', 'maestro ***8453'],
    ['mir 2200 0000 0000 0004', 'mir ***0004'],
    ['{"card":"4111111111111111","pan":5555555555554444}', '{"card":"***1111","pan":***4444}'],
    ['card=4111111111111111 cvv=***', 'card=***1111 cvv=***'],
    ['card:4111-1111-1111-1111, paid', 'card:***1111, paid'],
    ['charged 4111111111111111.', 'charged ***1111.'],
    ['GET /cards/4111111111111111/limits', 'GET /cards/***1111/limits'],
    ['(4111 1111 1111 1111)', '(***1111)'],
    ['item 2 4111-1111-1111-1111', 'item 2 ***1111'],
  ];
  for (const [input, want] of cases) {
    const counts: RedactionCounts = {};
    assert.equal(r.redact(input, counts), want, input);
    assert.equal(counts.card_number, (want.match(/\*\*\*\d{4}/g) ?? []).length, input);
  }
});

test('Luhn-valid digit runs that are not card numbers are kept', () => {
  const r = new Redactor();
  // Each holds a Luhn-valid run of 13-19 digits starting 2-6: a Luhn check alone would mask it.
  const kept = [
    'blk_-4980916519894289629 blk_-305633040016166849', // HDFS block ids (after `_` and `-`)
    'req4111111111111111 id-4111111111111111 4111111111111111abc 4111111111111111_x', // pieces of tokens
    'seq 94111111111111111 and 41111111111111111111', // longer digit runs (20 digits)
    'ratio 0.4111111111111111 and 4111111111111111.5', // decimals
    'mixed 4111 1111-1111 1111, double 4111  1111  1111  1111, odd 41 1111 1111 111111', // separators not consistent / not card groups
    'groups 4111 1111 1111 1111 2222 and 1234 4111 1111 1111 1111', // inside a longer run of groups
    'no network 2100000000000005 9999999999999995 41111111111111113', // prefix or length of no network
  ];
  for (const line of kept) {
    const counts: RedactionCounts = {};
    assert.equal(r.redact(line, counts), line, line);
    assert.deepEqual(counts, {}, line);
  }
  // These HDFS ids have a network's prefix, length and checksum: only the token boundary keeps them.
  for (const id of ['4980916519894289629', '305633040016166849']) assert.ok(luhnValid(id) && cardNetwork(id), id);
  assert.equal(cardNetwork('41111111111111113'), undefined); // Visa is 13, 16 or 19 digits
});

test('Loghub HDFS: every block id survives redaction (real data)', () => {
  const lines = readFileSync(new URL('../../fixtures/loghub-2k/HDFS/HDFS_2k.log', import.meta.url), 'utf8').split('\n').filter(Boolean);
  const r = new Redactor();
  const counts: RedactionCounts = {};
  let ids = 0;
  let luhnIds = 0;
  for (const line of lines) {
    const out = r.redact(line, counts);
    for (const id of line.match(/blk_-?\d+/g) ?? []) {
      ids++;
      const digits = id.replace(/\D/g, '');
      if (luhnValid(digits) && /^[2-6]/.test(digits)) luhnIds++;
      assert.ok(out.includes(id), `${id} lost in ${out}`);
    }
  }
  // The file has thousands of ids, dozens of them Luhn-valid from 2-6: the test has something to keep.
  assert.ok(ids > 1500, `${ids} block ids`);
  assert.ok(luhnIds > 50, `${luhnIds} Luhn-valid block ids`);
  assert.equal(counts.card_number, undefined);
});

test('every trigger holds wherever its rule matches: random pieces of secrets, the card cases and every Loghub line', () => {
  // A trigger is the cheap test a text must pass before its rule's pattern runs: if it fails where
  // the pattern would have replaced something, a secret goes out.
  let matched = 0;
  const check = (s: string) => {
    for (const rule of BUILTIN_RULES) {
      rule.pattern.lastIndex = 0;
      const m = s.match(rule.pattern);
      if (!m || (rule.validate && m.every((x) => !rule.validate!(x)))) continue;
      matched++;
      assert.ok(rule.trigger!.test(s), `${rule.name} matches ${JSON.stringify(s)} but its trigger does not`);
    }
  };
  const pieces = ['key', 'Token', 'secret', 'password', 'pwd', 'Authorization', 'Bearer ', 'AKIA', 'ANVA', 'aws_secret_access_key', 'sk_live_', 'sk-',
    'ghp_', 'xoxb-', 'AIza', 'SG.', 'eyJhbGci', '.eyJ', 'https://', '@', '=', ':', ' ', '-', '_', '.', '(', '"', 'x', '4111', '1111', '5555', '3782',
    '822463', '10005', '4111111111111111', '0.', 'abcdefghij', 'example.com'];
  joinsOfPieces(pieces, 11, 30_000, check);
  for (const s of ['visa 4111 1111 1111 1111 ok', 'amex 3782-822463-10005', 'charged 4111111111111111.', '(4111 1111 1111 1111)', 'item 2 4111-1111-1111-1111', 'x:4111111111111111']) check(s);
  assert.ok(matched > 3_000, `${matched} matches`);
  for (const line of loghubLines()) check(line);
});

test('every token prefix passes the pre-check', () => {
  const r = new Redactor();
  const prefixes = ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'whsec_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_',
    'xoxb-', 'xoxp-', 'xoxo-', 'xoxa-', 'xoxr-', 'xoxs-', 'xapp-', 'glpat-', 'AIza', 'npm_', 'sk-', 'sk-proj-', 'SG.'];
  for (const p of prefixes) {
    const counts: RedactionCounts = {};
    assert.equal(r.redact(`x ${p}Abcdefghij0123456789 y`, counts), `x ${p}*** y`, p);
    assert.deepEqual(counts, { token_prefix: 1 }, p);
  }
});

test('Luhn', () => {
  assert.equal(luhnValid('4111111111111111'), true);
  assert.equal(luhnValid('4111 1111 1111 1111'), true);
  assert.equal(luhnValid('4111111111111112'), false);
  assert.equal(luhnValid('411111111111'), false);
  assert.equal(luhnValid('79927398713'), false); // valid checksum but too short for a card
});

test('counts accumulate across calls', () => {
  const r = new Redactor();
  const counts: RedactionCounts = {};
  r.redact('password=a', counts);
  r.redact('password=b pwd=c', counts);
  assert.deepEqual(counts, { password: 3 });
});

test('rules can be disabled by name; unknown names are refused', () => {
  const r = new Redactor({ disabled: ['email', 'card_number'] });
  assert.equal(r.redact('a@example.com 4111111111111111'), 'a@example.com 4111111111111111');
  assert.ok(!r.rules.some((x) => x.name === 'email'));
  assert.throws(() => new Redactor({ disabled: ['emails'] }), /unknown built-in redaction rule "emails"/);
});

test('user rules, with groups and flags, after the built-ins', () => {
  const r = new Redactor({
    rules: [
      { name: 'customer_id', pattern: 'cust-(\\d+)', replacement: 'cust-#' },
      { name: 'ssn', pattern: '\\b(?<area>\\d{3})-\\d{2}-\\d{4}\\b', replacement: '$<area>-**-****' },
      { name: 'internal', pattern: 'SECRET-PROJECT', flags: 'i' },
    ],
  });
  const counts: RedactionCounts = {};
  assert.equal(r.redact('cust-42 cust-7 ssn 123-45-6789 on secret-project', counts), 'cust-# cust-# ssn 123-**-**** on ***');
  assert.deepEqual(counts, { customer_id: 2, ssn: 1, internal: 1 });
  assert.throws(() => new Redactor({ rules: [{ name: 'bad', pattern: '(' }] }), /redaction rule "bad"/);
  assert.throws(() => new Redactor({ rules: [{ name: 'empty', pattern: 'x*' }] }), /empty string/);
});

test('records: body and attribute values, secret-named attributes masked whole', () => {
  const r = new Redactor();
  const rec = {
    body: 'login by bob@example.com',
    attributes: { password: 'hunter2', 'http.request.header.authorization': 'Basic dXNlcjpwYXNz', url: 'https://a:b@host/', plain: 'fine', token: '' },
  };
  const counts: RedactionCounts = {};
  assert.equal(r.redactRecord(rec, counts), 4);
  assert.deepEqual(rec, {
    body: 'login by ***@example.com',
    attributes: { password: '***', 'http.request.header.authorization': '***', url: 'https://a:***@host/', plain: 'fine', token: '' },
  });
  assert.deepEqual(counts, { email: 1, secret_attribute: 2, url_password: 1 });
  const off = new Redactor({ disabled: ['secret_attribute'] });
  const rec2 = { body: '', attributes: { password: 'hunter2' } };
  off.redactRecord(rec2);
  assert.equal(rec2.attributes.password, 'hunter2');
});

test('names are unique and every built-in has a trigger', () => {
  assert.equal(new Set(BUILTIN_RULE_NAMES).size, BUILTIN_RULE_NAMES.length);
  for (const rule of new Redactor().rules) assert.ok(rule.trigger, rule.name);
});

test('garbage and long inputs do not throw or hang', () => {
  const r = new Redactor();
  const junk = Array.from({ length: 5000 }, (_, i) => String.fromCharCode((i * 7919) % 0xd7ff)).join('');
  assert.equal(typeof r.redact(junk), 'string');
  const t0 = process.hrtime.bigint();
  r.redact('a'.repeat(100_000) + '@' + '1'.repeat(100_000) + ' password=' + 'x '.repeat(50_000));
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000);
});

test('the short-value pre-check never skips a built-in match: random and boundary values it lets through come back unchanged', () => {
  const r = new Redactor();
  // The shortest matches without ':', '=' or '@' sit on the bound (13 characters); the others are short.
  const boundary = ['SG.abcdefghij', 'sk-abcdefghij', '4222222222222', 'AIzaabcdefghij', 'Bearer 1abcdefg', 'eyJabcd.eyJabcd.', 'pwd:x', 'pwd=x', 'token:x', 'a@b.co'];
  for (const s of boundary) {
    assert.equal(cannotMatchBuiltins(s), false, s);
    assert.notEqual(r.redact(s), s, s);
  }
  // Random strings of 1-16 characters over the characters the rules look for; a fixed seed.
  const alphabet = 'eyJAKIASGsk-_.npmghpxoxbBearer 0123456789abcdefABCDEF/+:=@';
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  let skipped = 0;
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    const len = 1 + rand(16);
    for (let k = 0; k < len; k++) s += alphabet[rand(alphabet.length)];
    if (!cannotMatchBuiltins(s)) continue;
    skipped++;
    // What the pre-check lets through, every built-in's own pattern must leave alone.
    for (const rule of r.rules) {
      rule.pattern.lastIndex = 0;
      const m = s.match(rule.pattern);
      assert.ok(!m || (rule.validate && m.every((x) => !rule.validate!(x))), `${rule.name} matches ${JSON.stringify(s)}`);
    }
  }
  assert.ok(skipped > 10_000, `only ${skipped} values exercised the pre-check`);
});

test('the pre-scan never rules out a built-in that matches: random pieces of secrets and every Loghub line', () => {
  // A rule whose bit builtinCandidates leaves clear is skipped; its own pattern must find nothing there.
  let matched = 0;
  const check = (s: string) => {
    const bits = builtinCandidates(s);
    for (const rule of BUILTIN_RULES) {
      rule.pattern.lastIndex = 0;
      const m = s.match(rule.pattern);
      if ((bits & CANDIDATE_BIT[rule.name]!) !== 0) {
        if (m) matched++;
        continue;
      }
      assert.ok(!m || (rule.validate && m.every((x) => !rule.validate!(x))), `${rule.name} matches ${JSON.stringify(s)} but was ruled out`);
    }
  };
  const pieces = ['key', 'KEY', 'Token', 'secret', 'password', 'PassWd', 'passphrase', 'pwd', 'authorization', 'IDENTIFIED', 'Identified', ' BY ', ' by ', 'PASSWORD(', 'Password (', 'SET PASSWORD =', ' VIA x USING ', 'Proxy-Authorization', 'Bearer ',
    'AKIA', 'ANVA', 'aws_secret_access_key', 'secret_access_key', 'sk_live_', 'sk-', 'ghp_', 'github_pat_', 'xoxb-', 'xoxs-', 'xapp-', 'glpat-', 'AIza',
    'SG.', 'npm_', 'whsec_', 'eyJhbGci', '.eyJ', 'https://', '@', '=', ':', ': ', '"', "'", ' ', '\t', '\u00a0', '\u2028', '4111', '1111', '3782',
    '822463', '-', '_', '.', ',', 'abcdefghij', 'ABCDEFGHIJKLMNOP', 'user', 'example.com', '***'];
  joinsOfPieces(pieces, 7, 30_000, check);
  // The pieces make real matches often, so a rule ruled out where it matches would be seen.
  assert.ok(matched > 5_000, `${matched} matches`);
  for (const line of loghubLines()) check(line);
  // The keyed rules look back from ':' and '=' over exactly what `\s` matches.
  for (let c = 0; c < 0x10000; c++) assert.equal(isRegExpSpace(c), /\s/.test(String.fromCharCode(c)), `U+${c.toString(16)}`);
});

test('attribute values repeat: a remembered clean value is skipped, a changed or secret one under the same name is not', () => {
  const r = new Redactor({ rules: [{ name: 'order', pattern: 'order-\\d+' }] });
  const counts: RedactionCounts = {};
  const logger = 'com.acme.orders.OrderService';
  const records = [
    { body: '', attributes: { 'log.logger': logger, url: 'https://example.com/a/long/path', note: 'nothing to see in here' } },
    { body: '', attributes: { 'log.logger': logger, url: 'https://app:s3cr3t@example.com/x', note: 'nothing to see in here' } },
    { body: '', attributes: { 'log.logger': logger, url: 'https://app:s3cr3t@example.com/x', note: 'placed order-42 today' } },
    { body: '', attributes: { 'log.logger': logger, url: 'https://example.com/a/long/path', note: 'placed order-42 today' } },
  ];
  const replaced = records.map((rec) => r.redactRecord(rec, counts));
  assert.deepEqual(replaced, [0, 1, 2, 1]);
  assert.deepEqual(records.map((x) => [x.attributes.url, x.attributes.note]), [
    ['https://example.com/a/long/path', 'nothing to see in here'],
    ['https://app:***@example.com/x', 'nothing to see in here'],
    ['https://app:***@example.com/x', 'placed *** today'],
    ['https://example.com/a/long/path', 'placed *** today'],
  ]);
  assert.deepEqual(counts, { url_password: 2, order: 2 });
  // A name that is a secret's stays masked whole however often its value repeats.
  for (let i = 0; i < 3; i++) {
    const rec = { body: '', attributes: { password: 'hunter2hunter2hunter2' } };
    assert.equal(r.redactRecord(rec), 1);
    assert.equal(rec.attributes.password, '***');
  }
});

test('attribute values that take turns are remembered clean across names; names of unique values do not crowd them out', () => {
  const r = new Redactor();
  const loggers = Array.from({ length: 20 }, (_, i) => `com.acme.service.Component${i}`);
  const n = 6000;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const rec = { body: '', attributes: { 'log.logger': loggers[i % loggers.length]!, 'request.id': `req-${i}-${(i * 7919).toString(36)}-abcdef` } };
    changed += r.redactRecord(rec);
    assert.equal(rec.attributes['log.logger'], loggers[i % loggers.length]);
  }
  assert.equal(changed, 0);
  // Every logger value after its first turn is skipped: the 6,000 unique ids (past the 1,024 values
  // kept) would have emptied the shared memory at least once had they kept being added to it.
  assert.equal(r.skippedClean, n - loggers.length);
  // Remembered clean under one name is no pass under a secret's name, nor for a value that changed.
  const rec = { body: '', attributes: { password: loggers[0]!, url: 'https://app:s3cr3t@example.com/x', 'log.logger': 'https://app:s3cr3t@example.com/x' } };
  assert.equal(r.redactRecord(rec), 3);
  assert.deepEqual(rec.attributes, { password: '***', url: 'https://app:***@example.com/x', 'log.logger': 'https://app:***@example.com/x' });
});

test('bodies that repeat are redacted once; bodies that rarely repeat stop being remembered', () => {
  const r = new Redactor();
  const messages = Array.from({ length: 20 }, (_, i) => `Connection from 10.0.0.${i} closed after keepalive timeout`);
  const n = 2000;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const rec = { body: messages[i % messages.length]!, attributes: {} };
    changed += r.redactRecord(rec);
    assert.equal(rec.body, messages[i % messages.length]);
  }
  assert.equal(changed, 0);
  // Every message after its first turn is skipped.
  assert.equal(r.skippedClean, n - messages.length);
  // A body with a secret is never remembered clean, however often it comes.
  for (let i = 0; i < 3; i++) {
    const rec = { body: 'login for app with password=hunter2 ok', attributes: {} };
    assert.equal(r.redactRecord(rec), 1);
    assert.equal(rec.body, 'login for app with password=*** ok');
  }
  // Distinct messages (a request id in each): after the trial's look-ups find none, bodies leave the
  // set, so messages that then take turns are redacted each time (and still come out the same).
  const fresh = new Redactor();
  for (let i = 0; i < 6000; i++) fresh.redactRecord({ body: `request ${i}-${(i * 7919).toString(36)} served in ${i % 100} ms`, attributes: {} });
  assert.equal(fresh.skippedClean, 0);
  for (let i = 0; i < n; i++) {
    const rec = { body: messages[i % messages.length]!, attributes: {} };
    fresh.redactRecord(rec);
    assert.equal(rec.body, messages[i % messages.length]);
  }
  assert.equal(fresh.skippedClean, 0);
});
