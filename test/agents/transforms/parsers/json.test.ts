import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJsonParser } from '../../../../agents/transforms/parsers/json.ts';

const ctx = { now: Date.UTC(2026, 10, 24, 12) };
const parse = createJsonParser();

test('pino lines: numeric level, epoch ms, hostname', () => {
  const r = parse('{"level":50,"time":1764000000123,"pid":7,"hostname":"web-1","name":"api","msg":"boom","err":{"type":"Error","message":"x"}}', ctx);
  assert.deepEqual(r, {
    body: 'boom', time: 1764000000123, severityText: 'ERROR', severityNumber: 17, host: 'web-1',
    attributes: { pid: '7', name: 'api', 'err.type': 'Error', 'err.message': 'x' },
  });
});

test('well-known field names', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['{"message":"hi","severity":"warning","timestamp":"2026-11-24T10:00:00Z"}', { body: 'hi', severityText: 'WARNING', severityNumber: 13, time: Date.UTC(2026, 10, 24, 10) }],
    ['{"body":"hi","lvl":"dbg","ts":1764000000}', { body: 'hi', severityText: 'DBG', severityNumber: 5, time: 1764000000000 }],
    ['{"@timestamp":"2026-11-24T10:00:00.5Z","log.level":"info","message":"ecs"}', { body: 'ecs', time: Date.UTC(2026, 10, 24, 10, 0, 0, 500), severityNumber: 9 }],
    ['{"log":{"level":"error"},"message":"nested ecs"}', { body: 'nested ecs', severityNumber: 17 }],
    ['{"log":"docker line\\n","stream":"stdout","time":"2026-11-24T10:00:00.000000001Z"}', { body: 'docker line\n', time: Date.UTC(2026, 10, 24, 10) }],
    ['{"msg":"t","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7"}', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }],
    ['{"msg":"t","traceId":"a3ce929d0e0e4736","spanId":"zz"}', { traceId: '0000000000000000a3ce929d0e0e4736', spanId: undefined }],
    ['{"msg":"t","service":"checkout","host.name":"h1"}', { service: 'checkout', host: 'h1' }],
    ['{"msg":"t","host":"api.example.com"}', { host: undefined, attributes: { host: 'api.example.com' } }],
    ['{"msg":"t","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', attributes: {} }],
    ['{"msg":"t","traceparent":"garbage"}', { traceId: undefined, attributes: { traceparent: 'garbage' } }],
    ['{"msg":"t","service":{"name":"billing"}}', { service: 'billing' }],
  ];
  for (const [line, want] of cases) {
    const r = parse(line, ctx);
    assert.ok(r, line);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((r as unknown as Record<string, unknown>)[k], v, `${line}: ${k}`);
  }
});

test("MongoDB's structured log: t.$date is the time and s the severity, in that shape only", () => {
  const r = parse('{"t":{"$date":"2026-11-24T10:00:00.123+00:00"},"s":"W","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection refused","attr":{"remote":"10.0.0.1:5678"}}', ctx);
  assert.deepEqual(r, {
    body: 'Connection refused', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123), severityText: 'WARN', severityNumber: 13,
    attributes: { c: 'NETWORK', id: '22943', ctx: 'listener', 'attr.remote': '10.0.0.1:5678' },
  });
  // MongoDB's debug levels D1-D5, and an `s` elsewhere, which names no severity.
  assert.equal(parse('{"t":{"$date":"2026-11-24T10:00:00.123Z"},"s":"D2","c":"STORAGE","msg":"x"}', ctx)!.severityNumber, 6);
  const other = parse('{"s":"E","t":3,"msg":"state E"}', ctx)!;
  assert.equal(other.severityText, undefined);
  assert.deepEqual(other.attributes, { s: 'E', t: '3' });
});

test("Serilog's compact JSON (CLEF), after its documentation's examples: templates rendered, the exception read, trace and span", () => {
  // Serilog.Formatting.Compact's README: `{"@t":"...","@mt":"Processed {@Position} in {Elapsed:000} ms.","Position":{"Latitude":25,"Longitude":134},"Elapsed":34}`.
  const r = parse('{"@t":"2026-12-07T22:00:00.1234567Z","@mt":"Processed {@Position} in {Elapsed:000} ms.","Position":{"Latitude":25,"Longitude":134},"Elapsed":34}', ctx)!;
  assert.equal(r.body, 'Processed { Latitude: 25, Longitude: 134 } in 34 ms.');
  assert.deepEqual([r.attributes['@mt'], r.attributes['Position.Latitude'], r.severityText], ['Processed {@Position} in {Elapsed:000} ms.', '25', 'INFORMATION']);
  // Strings in double quotes unless `:l`; a type tag, sequences, escaped braces, positional and stringified tokens.
  const b = (mt: string, props: object) => parse(JSON.stringify({ '@t': '2026-12-07T22:00:00Z', '@mt': mt, ...props }), ctx)!.body;
  assert.equal(b('User {User} ({Name:l}) signed in', { User: 'alice', Name: 'Alice A.' }), 'User "alice" (Alice A.) signed in');
  assert.equal(b('{{literal}} {@Cart} {Ids} {0} {$Who}', { Cart: { $type: 'Cart', Items: 2, Owner: 'bob' }, Ids: [1, 2], 0: true, Who: 'x' }), '{literal} Cart { Items: 2, Owner: "bob" } [1, 2] true "x"');
  assert.equal(b('Unclosed {Name', { Name: 'x' }), 'Unclosed {Name');
  // The rendered message, where the formatter wrote one (@m), is the body as written.
  assert.equal(b('ignored {X}', { '@m': 'as written', X: 1 }), 'as written');
  // The exception as .NET's ToString() writes it; Serilog 3.1's trace and span.
  const x = parse('{"@t":"2026-12-07T22:00:00Z","@mt":"Payment failed","@l":"Error","@x":"System.InvalidOperationException: Card declined\\n   at Shop.Pay() in /src/Pay.cs:line 12","@tr":"4bf92f3577b34da6a3ce929d0e0e4736","@sp":"00f067aa0ba902b7","@i":"a1b2c3d4"}', ctx)!;
  assert.deepEqual([x.severityText, x.traceId, x.spanId, x.attributes['exception.type'], x.attributes['exception.message'], x.attributes['@x'], x.attributes['@i']], ['ERROR', '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 'System.InvalidOperationException', 'Card declined', undefined, 'a1b2c3d4']);
  assert.equal(x.attributes['exception.stacktrace'], 'System.InvalidOperationException: Card declined\n   at Shop.Pay() in /src/Pay.cs:line 12');
  // Not CLEF (no `@t`): a template-looking message is left as it is.
  assert.equal(parse('{"msg":"Hello {User}","User":"x"}', ctx)!.body, 'Hello {User}');
});

test('the keys of structlog, Serilog compact JSON and JsonFormatter, Log4j2 JsonLayout, Kubernetes audit, CloudTrail and Envoy', () => {
  assert.deepEqual(parse('{"event": "user logged in", "level": "info", "timestamp": "2026-11-24T10:00:00.123456Z", "user_id": 42}', ctx), {
    body: 'user logged in', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456, severityText: 'INFO', severityNumber: 9, attributes: { user_id: '42' },
  });
  // A message key of its own wins over structlog's `event`, which then stays an attribute.
  assert.deepEqual(parse('{"event":"signup","msg":"new user"}', ctx)!.attributes, { event: 'signup' });
  // CompactJsonFormatter writes the template: rendered as Serilog renders it (a token without its property kept).
  assert.deepEqual(parse('{"@t":"2026-11-24T10:00:00.1234567Z","@mt":"Processed {OrderId} in {Elapsed} ms","@l":"Warning","OrderId":7}', ctx), {
    body: 'Processed 7 in {Elapsed} ms', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456, severityText: 'WARNING', severityNumber: 13, attributes: { OrderId: '7', '@mt': 'Processed {OrderId} in {Elapsed} ms' },
  });
  // The rendered message, where there is one, before the template.
  assert.equal(parse('{"@t":"2026-11-24T10:00:00Z","@m":"Processed 7","@mt":"Processed {OrderId}"}', ctx)!.body, 'Processed 7');
  // CLEF leaves `@l` out at Information (its specification: "an implicit Information level is assumed").
  assert.deepEqual([parse('{"@t":"2026-11-24T10:00:00Z","@mt":"User {UserId} logged in","UserId":42}', ctx)!.severityText, parse('{"@t":"2026-11-24T10:00:00Z","@mt":"User {UserId} logged in","UserId":42}', ctx)!.severityNumber], ['INFORMATION', 9]);
  // Serilog's JsonFormatter (`renderMessage: true`): the rendered message, the template and the properties as attributes.
  const serilog = parse('{"Timestamp":"2026-11-24T10:00:00.1234567+00:00","Level":"Warning","MessageTemplate":"Processed {OrderId}","RenderedMessage":"Processed 7","Properties":{"OrderId":7,"SourceContext":"Shop.Orders"}}', ctx)!;
  assert.deepEqual(serilog, {
    body: 'Processed 7', time: Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456, severityText: 'WARNING', severityNumber: 13,
    attributes: { MessageTemplate: 'Processed {OrderId}', 'Properties.OrderId': '7', 'Properties.SourceContext': 'Shop.Orders' },
  });
  assert.equal(parse('{"Timestamp":"2026-11-24T10:00:00Z","Level":"Information","MessageTemplate":"Started {App}","Properties":{"App":"x"}}', ctx)!.body, 'Started {App}');
  // Not CLEF (no `@t`, or a message of another key): no level is made up.
  assert.equal(parse('{"time":"2026-11-24T10:00:00Z","@mt":"x"}', ctx)!.severityText, undefined);
  assert.equal(parse('{"@t":"2026-11-24T10:00:00Z","msg":"x"}', ctx)!.severityText, undefined);
  assert.deepEqual(parse('{"instant":{"epochSecond":1764000000,"nanoOfSecond":123456000},"thread":"main","level":"INFO","loggerName":"com.x.App","message":"hi"}', ctx), {
    body: 'hi', time: 1764000000123.456, severityText: 'INFO', severityNumber: 9, attributes: { thread: 'main', loggerName: 'com.x.App' },
  });
  assert.equal(parse('{"timeMillis":1764000000123,"level":"WARN","message":"old layout"}', ctx)!.time, 1764000000123);
  // Kubernetes audit (its stage's time stays an attribute), CloudTrail, Envoy's JSON access log.
  const audit = parse('{"kind":"Event","level":"Metadata","verb":"list","requestReceivedTimestamp":"2026-11-24T10:00:00.123456Z","stageTimestamp":"2026-11-24T10:00:00.150000Z"}', ctx)!;
  assert.equal(audit.time, Date.UTC(2026, 10, 24, 10, 0, 0, 123) + 0.456);
  assert.equal(audit.attributes.stageTimestamp, '2026-11-24T10:00:00.150000Z');
  assert.equal(parse('{"eventTime":"2026-11-24T10:00:00Z","eventName":"GetObject"}', ctx)!.time, Date.UTC(2026, 10, 24, 10));
  assert.equal(parse('{"start_time":"2026-11-24T10:00:00.123Z","method":"GET","response_code":200}', ctx)!.time, Date.UTC(2026, 10, 24, 10, 0, 0, 123));
  // An `instant` of another shape is an attribute like any other.
  assert.deepEqual(parse('{"instant":{"at":"noon"},"msg":"x"}', ctx)!.attributes, { 'instant.at': 'noon' });
  // Google Cloud's structured logging: its time object, its trace and span keys (the trace as a resource name).
  assert.deepEqual(parse('{"severity":"ERROR","message":"db down","timestamp":{"seconds":1764000000,"nanos":123000000},"logging.googleapis.com/trace":"projects/p/traces/4BF92F3577B34DA6A3CE929D0E0E4736","logging.googleapis.com/spanId":"00f067aa0ba902b7"}', ctx), {
    body: 'db down', time: 1764000000123, severityText: 'ERROR', severityNumber: 17, attributes: {}, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7',
  });
  assert.deepEqual(parse('{"timestamp":{"seconds":"x"},"msg":"x"}', ctx)!.attributes, { 'timestamp.seconds': 'x' });
  // .NET's JSON console formatter.
  const dotnet = parse('{"EventId":14,"LogLevel":"Information","Category":"Microsoft.Hosting.Lifetime","Message":"Now listening on: http://localhost:5000"}', ctx)!;
  assert.deepEqual([dotnet.severityNumber, dotnet.body, dotnet.attributes.Category], [9, 'Now listening on: http://localhost:5000', 'Microsoft.Hosting.Lifetime']);
});

test('a field that does not parse stays an attribute', () => {
  const r = parse('{"msg":"x","time":"yesterday","level":{"a":1},"spanId":"zz"}', ctx)!;
  assert.equal(r.time, undefined);
  assert.equal(r.attributes.time, 'yesterday');
  assert.equal(r.attributes['level.a'], '1');
  assert.equal(r.attributes.spanId, 'zz');
});

test('both msg and message: the first-ranked wins, the other is kept', () => {
  const r = parse('{"message":"second","msg":"first"}', ctx)!;
  assert.equal(r.body, 'first');
  assert.equal(r.attributes.message, 'second');
});

test('no message key: the line is the body; arrays stay JSON', () => {
  const line = '{"a":[1,2],"b":null,"c":true}';
  assert.deepEqual(parse(line, ctx), { body: line, attributes: { a: '[1,2]', b: '', c: 'true' } });
});

test('not an object: null', () => {
  for (const line of ['', 'plain text', '[1,2]', '"str"', '{"broken":', '{not json}', '42']) {
    assert.equal(parse(line, ctx), null, line);
  }
});

test('options: custom keys, time format, zone, no flattening', () => {
  const p = createJsonParser({ messageKeys: ['text'], timeKeys: ['when'], timeFormat: '%d.%m.%Y %H:%M', timeZone: 'Europe/Berlin', flattenDepth: 0 });
  const r = p('{"text":"hallo","when":"24.11.2026 11:00","ctx":{"a":1}}', ctx)!;
  assert.equal(r.body, 'hallo');
  assert.equal(r.time, Date.UTC(2026, 10, 24, 10));
  assert.equal(r.attributes.ctx, '{"a":1}');
});

test('multiline records: pretty-printed JSON, or a JSON line with a trace under it', () => {
  assert.equal(parse('{\n  "msg": "pretty",\n  "level": "warn"\n}', ctx)!.body, 'pretty');
  const r = parse('{"msg":"failed","level":50}\nError: boom\n    at f (a.js:1:1)', ctx)!;
  assert.equal(r.body, 'failed\nError: boom\n    at f (a.js:1:1)');
  assert.equal(r.severityText, 'ERROR');
  assert.equal(parse('{"broken":\n1', ctx), null);
});

test('keys named __proto__ and constructor stay attributes (own keys), without touching any prototype', () => {
  const r = createJsonParser()('{"__proto__":"x","constructor":"y","msg":"m","nested":{"__proto__":{"polluted":1}}}', { now: 0 })!;
  assert.equal(r.body, 'm');
  assert.deepEqual(Object.entries(r.attributes), [['__proto__', 'x'], ['constructor', 'y'], ['nested.__proto__.polluted', '1']]);
  assert.equal(Object.getPrototypeOf(r.attributes), Object.prototype);
  const flat = createJsonParser()('{"__proto__":[1],"a":{"b":2},"msg":"m"}', { now: 0 })!;
  assert.deepEqual(Object.entries(flat.attributes), [['__proto__', '[1]'], ['a.b', '2']]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('the role of a key is remembered by position only for the same key', () => {
  // Lines of one logger repeat their keys in order; these swap them, so a role taken by position
  // alone would make the level the message.
  const p = createJsonParser();
  const lines: Array<[string, string, number | undefined, Record<string, string>]> = [
    ['{"msg":"a","level":"warn","x":1}', 'a', 13, { x: '1' }],
    ['{"level":"warn","msg":"b","x":2}', 'b', 13, { x: '2' }],
    ['{"x":3,"lvl":"error","message":"c"}', 'c', 17, { x: '3' }],
    ['{"msg":"d","level":"info","x":4}', 'd', 9, { x: '4' }],
    ['{"mgs":"e","level":"info","x":5}', '{"mgs":"e","level":"info","x":5}', 9, { mgs: 'e', x: '5' }],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [line, body, sev, attrs] of lines) {
      const r = p(line, ctx)!;
      assert.equal(r.body, body, line);
      assert.equal(r.severityNumber, sev, line);
      assert.deepEqual(r.attributes, attrs, line);
    }
  }
});

test('parsers with other field names, one line after the other, each sort by their own names', () => {
  const a = createJsonParser();
  const b = createJsonParser({ messageKeys: ['text'] });
  for (let round = 0; round < 3; round++) {
    const ra = a('{"text":"t","msg":"m"}', ctx)!;
    assert.equal(ra.body, 'm');
    assert.deepEqual(ra.attributes, { text: 't' });
    const rb = b('{"text":"t","msg":"m"}', ctx)!;
    assert.equal(rb.body, 't');
    assert.deepEqual(rb.attributes, { msg: 'm' });
  }
});
