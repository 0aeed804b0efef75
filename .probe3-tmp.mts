import { buildParser } from './agents/transforms/parsers/index.ts';
const p = buildParser('auto');
for (const l of [
 '{"level":"info","ts":1733452200.123,"logger":"http.log.access","caller":"server/main.go:42","msg":"handled request","status":200}',
 '{"level":"error","ts":"2026-12-06T02:30:00.123Z","caller":"db/pool.go:88","msg":"query failed","error":"timeout","stacktrace":"main.run\\n\\t/app/main.go:12"}',
 '{"name":"orders","hostname":"web-1","pid":123,"level":30,"msg":"listening","time":"2026-12-06T02:30:00.123Z","v":0}',
 '{"asctime": "2026-12-06 02:30:00,123", "levelname": "INFO", "name": "app.orders", "message": "created", "filename": "views.py", "lineno": 42}',
 '{"@timestamp":"2026-12-06T02:30:00.123Z","log.level":"info","message":"started","ecs.version":"1.6.0","log":{"logger":"org.x.App"},"process":{"thread":{"name":"main"}}}',
 '{"timestamp":"2026-12-06T02:30:00.123Z","level":"INFO","thread":"main","logger":"com.example.App","message":"started","context":"default"}',
 '{"time":"2026-12-06T02:30:00.123Z","level":"INFO","msg":"request","source":{"function":"main.handle","file":"/app/main.go","line":42}}',
 '[02:30:00.123] INFO (1234): Server listening',
 '[2026-12-06 02:30:00.123 +0000] INFO (orders/1234 on host-1): request completed',
]) console.log(JSON.stringify(p(l, { now: Date.now() })));
