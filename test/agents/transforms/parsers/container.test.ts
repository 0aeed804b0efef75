// Lines a container runtime wrapped (parsers/container.ts with the multiline assembler): a program's
// real output (test/fixtures/programs, Loghub's samples) written by a pod (CRI, as containerd and CRI-O
// write /var/log/pods) or by Docker's json-file driver, whole or cut into parts as the runtimes cut
// lines longer than their buffer, gives the records the same output gives read from a plain file:
// stack traces are one record, a cut line is one record, each parsed as the app wrote it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../../../agents/transforms/line-splitter.ts';
import { MultilineAssembler } from '../../../../agents/transforms/multiline.ts';
import { containerLine } from '../../../../agents/transforms/parsers/container.ts';
import { createRecordBuilder, newCounters } from '../../../../agents/record-builder.ts';
import type { LogRecord } from '../../../../core/contracts/records.ts';

const root = join(import.meta.dirname, '../../../..');
const programs = join(root, 'test/fixtures/programs');
const loghub = join(root, '../shared/data/loghub-2k');

/** Real outputs: every program's log here and each Loghub system's sample, blank lines left out (a wrapped blank line is a line of its own). */
function samples(): Array<{ name: string; lines: string[] }> {
  const out: Array<{ name: string; lines: string[] }> = [];
  for (const f of readdirSync(programs).filter((f) => f.endsWith('.log')).sort()) out.push({ name: f, lines: readFileSync(join(programs, f), 'utf8').split('\n') });
  for (const system of readdirSync(loghub).filter((d) => !d.includes('.') && d !== 'LICENSE').sort()) {
    const file = readdirSync(join(loghub, system)).find((f) => f.endsWith('_2k.log'));
    if (file) out.push({ name: `loghub ${system}`, lines: readFileSync(join(loghub, system, file), 'utf8').split('\n') });
  }
  for (const s of out) s.lines = s.lines.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  return out;
}

const STAMP = '2026-12-07T05:00:00.123456789Z';
const cri = (line: string, stream: string, flag: 'F' | 'P') => `${STAMP} ${stream} ${flag} ${line}`;
const docker = (line: string, stream: string, whole: boolean) => JSON.stringify({ log: whole ? `${line}\n` : line, stream, time: STAMP });

/** The file's records as the agent makes them: line splitter, multiline assembler with its defaults, the auto parser. */
function records(text: string): LogRecord[] {
  const splitter = new LineSplitter();
  const m = new MultilineAssembler({});
  const texts: string[] = [];
  for (const line of splitter.push(Buffer.from(text), 0)) for (const r of m.push(line, 0)) texts.push(r.text);
  for (const r of m.flush()) texts.push(r.text);
  const build = createRecordBuilder(newCounters(), { parser: { type: 'auto' } });
  return texts.map((t) => build({ text: t, origin: { kind: 'file', path: '/var/log/pods/x/app/0.log', fingerprint: 'f', offset: 0 }, service: 'app', host: 'node-1', observedMs: Date.UTC(2026, 11, 7) }));
}

/** What must not change with the wrapper: everything but the time (the runtime's wins where a line has none) and the wrapper's own attributes. */
const essence = (r: LogRecord) => {
  const { 'log.iostream': _s, ...attributes } = r.attributes;
  return { body: r.body, severity: r.severity_text, attributes, service: r.service, host: r.host };
};

/**
 * Cuts a line into parts of about `size` characters (the runtimes cut at 16 KiB; small here, so that
 * every sample is cut), never after a `\r`: a part's file line ending in `\r\n` reads as a Windows line
 * end, which the line splitter drops (as it would from a runtime's file).
 */
function cut(line: string, size: number): string[] {
  const parts: string[] = [];
  let from = 0;
  while (line.length - from > size) {
    let to = from + size;
    while (to < line.length && line.charCodeAt(to - 1) === 13) to++;
    parts.push(line.slice(from, to));
    from = to;
  }
  parts.push(line.slice(from));
  return parts;
}

for (const wrapper of ['CRI', 'Docker json-file'] as const) {
  for (const parts of ['whole lines', 'lines cut into parts of 37 characters'] as const) {
    test(`${wrapper}, ${parts}: every real sample gives the records of its plain file (stack traces and cut lines one record)`, () => {
      let compared = 0;
      let multiline = 0;
      for (const s of samples()) {
        const plain = records(s.lines.join('\n') + '\n');
        const wrapped: string[] = [];
        for (const line of s.lines) {
          const pieces = parts === 'whole lines' ? [line] : cut(line, 37);
          pieces.forEach((p, i) => {
            const last = i === pieces.length - 1;
            wrapped.push(wrapper === 'CRI' ? cri(p, 'stderr', last ? 'F' : 'P') : docker(p, 'stderr', last));
          });
        }
        const got = records(wrapped.join('\n') + '\n');
        assert.equal(got.length, plain.length, `${s.name}: records`);
        for (let i = 0; i < plain.length; i++) {
          assert.deepEqual(essence(got[i]!), essence(plain[i]!), `${s.name}: record ${i}`);
          assert.equal(got[i]!.attributes['log.iostream'], 'stderr');
          // The app's own time where it wrote one; the runtime's otherwise.
          if (got[i]!.time !== plain[i]!.time) assert.ok(got[i]!.time.startsWith('2026-12-07T05:00:00.123'), `${s.name}: record ${i} time ${got[i]!.time}`);
          if (plain[i]!.body.includes('\n')) multiline++;
        }
        compared += plain.length;
      }
      assert.ok(compared > 15_000, `records compared: ${compared}`);
      assert.ok(multiline > 30, `multiline records among them: ${multiline}`);
    });
  }
}

test('lines of two streams and two runtimes\' formats do not join; a record is a run of the file\'s lines, so another stream\'s line between two parts ends the cut line there', () => {
  const lines = [
    cri('java.lang.IllegalStateException: boom', 'stderr', 'F'),
    cri('GET /health 200', 'stdout', 'F'),
    cri('\tat com.acme.App.handle(App.java:42)', 'stderr', 'F'),
    cri('{"level":"info","msg":"cut ', 'stdout', 'P'),
    cri('Exception in thread "main" java.lang.Error: x', 'stderr', 'F'),
    cri('here"}', 'stdout', 'F'),
    docker('\tat com.acme.App.main(App.java:10)', 'stderr', true),
    'a plain line',
    '\tat not.Wrapped(X.java:1)',
  ];
  const got = records(lines.join('\n') + '\n');
  assert.deepEqual(got.map((r) => [r.body, r.attributes['log.iostream'] ?? '', r.attributes['log.partial'] ?? '']), [
    ['java.lang.IllegalStateException: boom', 'stderr', ''],
    ['GET /health 200', 'stdout', ''],
    // Another stream's line came between: the frame is a record of its own.
    ['\tat com.acme.App.handle(App.java:42)', 'stderr', ''],
    // A record's lines are one run of the file (its checkpoint and its bytes): the stdout line's parts
    // around a stderr line are two records, the first marked as cut.
    ['{"level":"info","msg":"cut ', 'stdout', 'true'],
    ['Exception in thread "main" java.lang.Error: x', 'stderr', ''],
    ['here"}', 'stdout', ''],
    // Docker's line under CRI's trace: another runtime's format does not continue it.
    ['\tat com.acme.App.main(App.java:10)', 'stderr', ''],
    ['a plain line\n\tat not.Wrapped(X.java:1)', '', ''],
  ]);
});

test('a line whose last part never came is shipped marked log.partial; one cut part alone is too', () => {
  const got = records([cri('{"msg":"start ', 'stdout', 'P'), cri('of it', 'stdout', 'P')].join('\n') + '\n');
  assert.equal(got.length, 1);
  assert.equal(got[0]!.body, '{"msg":"start of it');
  assert.equal(got[0]!.attributes['log.partial'], 'true');
  const dock = records(docker('no line end', 'stdout', false) + '\n');
  assert.equal(dock[0]!.attributes['log.partial'], 'true');
  assert.equal(records(docker('whole', 'stdout', true) + '\n')[0]!.attributes['log.partial'], undefined);
});

test('containerLine tells wrapped lines in a few comparisons and leaves lookalikes alone', () => {
  assert.deepEqual(containerLine(`${STAMP} stdout F hello`), { kind: 'cri', stream: 'stdout', inner: 'hello', partial: false });
  assert.deepEqual(containerLine(`2026-12-07T05:00:00.1+01:00 stderr P `), { kind: 'cri', stream: 'stderr', inner: '', partial: true });
  assert.deepEqual(containerLine(`${STAMP} stdout F`), { kind: 'cri', stream: 'stdout', inner: '', partial: false });
  assert.deepEqual(containerLine(docker('x', 'stderr', true)), { kind: 'docker', stream: 'stderr', inner: 'x', partial: false });
  for (const other of [`${STAMP} INFO stdout F x`, `${STAMP} stdout Fx`, `${STAMP} stdin F x`, '2026-12-07 05:00:00 stdout F x', '{"log":"x"}', '{"log":"x\\n","stream":"stdout"}', '{"log": broken', 'plain']) {
    assert.equal(containerLine(other), undefined, other);
  }
});

test('Docker lines are read without parsing the whole object, escapes and all, as JSON.parse reads them', () => {
  const texts = ['plain', 'tab\there', 'quote " and \\ backslash', 'ends with backslash n \\n', 'ends with a backslash \\', 'crlf', 'ünïcode ✓ \u0001', ''];
  for (const t of texts) {
    for (const end of ['\n', '\r\n', '']) {
      for (const stream of ['stdout', 'stderr']) {
        const line = JSON.stringify({ log: t + end, stream, time: STAMP, attrs: { tag: 'x' } });
        assert.deepEqual(containerLine(line), { kind: 'docker', stream, inner: t, partial: end === '' }, line);
      }
    }
  }
});
