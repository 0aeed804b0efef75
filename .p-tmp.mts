import { createRecordBuilder, newCounters } from './agents/record-builder.ts';
const full = createRecordBuilder(newCounters());
const lines = [
 JSON.stringify({"@timestamp":"2026-11-24T10:00:00.123Z","@metadata":{"beat":"filebeat","type":"_doc","version":"8.17.0"},"message":"GET /index.html 200","log":{"file":{"path":"/var/log/nginx/access.log"},"offset":1234,"level":"info"},"input":{"type":"filestream"},"host":{"name":"web-1","hostname":"web-1","os":{"family":"debian"}},"agent":{"type":"filebeat","version":"8.17.0","id":"abc","name":"web-1","ephemeral_id":"x"},"ecs":{"version":"8.0.0"},"service":{"name":"nginx"}}),
 JSON.stringify({"@timestamp":"2026-11-24T10:00:00.123Z","log":"2026-11-24 10:00:00 ERROR boom\n","stream":"stderr","kubernetes":{"pod_name":"x","namespace_name":"default"}}),
 JSON.stringify({"date":1764000000.123,"log":"plain line from fluent bit","container_name":"/web"}),
 JSON.stringify({"timestamp":"2026-11-24T10:00:00.123Z","message":"vector event","host":"web-2","source_type":"file","file":"/var/log/app.log"}),
];
for (const l of lines) { const r: any = full({ text: l, origin: { kind: 'file', path: '/var/log/x.log', fingerprint: 'f', offset: 0 }, service: 's', host: 'h', observedMs: Date.now() } as any); console.log('  ', r.time, r.service, r.host, r.severity_text, JSON.stringify(r.body).slice(0,60), JSON.stringify(r.attributes)); }
