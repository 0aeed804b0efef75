/**
 * A stand-in schema registry for tests: no schema registry can run here (Confluent's is not on Maven
 * Central, Karapace not on PyPI), so this small HTTP server answers the reads the worker makes, as
 * Confluent's REST API documents them: `GET /schemas/ids/{id}`, `GET /subjects/{subject}/versions/{version}`
 * and `GET /schemas/types`
 * (404 with error code 40403 / 40401 when it has none, 401 with 40101 for wrong credentials). What it
 * serves comes from test/fixtures/events/registry-payments.json, where Confluent's own client registered
 * it (make_registry.py), or from the test.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StoredSchema {
  id: number;
  subject: string;
  version: number;
  schemaType: string;
  /** As the client sent it (protobuf: a base64 FileDescriptorProto from Python's client). */
  schema: string;
  /** Protobuf's .proto text, which a Confluent registry serves by default. */
  text?: string;
  references: Array<{ name: string; subject: string; version: number }>;
}

export interface RegistryFixture {
  registry: StoredSchema[];
  records: Array<{ format: 'avro' | 'protobuf'; hex: string; expected: Record<string, unknown> }>;
}

export function registryFixture(): RegistryFixture {
  return JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/events/registry-payments.json', import.meta.url)), 'utf8')) as RegistryFixture;
}

export interface StandInRegistry {
  url: string;
  /** Paths asked for, in order. */
  requests: string[];
  /** Answer every request with this status (503: a registry that is down), until set back to undefined. */
  failWith: number | undefined;
  /** Serve protobuf schemas as base64 FileDescriptorProtos (as `?format=serialized` does) instead of .proto text. */
  serialized: boolean;
  close(): Promise<void>;
}

export async function standInRegistry(schemas: StoredSchema[], credentials?: { username: string; password: string }): Promise<StandInRegistry> {
  const state = { requests: [] as string[], failWith: undefined as number | undefined, serialized: false };
  const expected = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` : undefined;
  const body = (s: StoredSchema) => ({
    schema: s.schemaType === 'PROTOBUF' && !state.serialized && s.text !== undefined ? s.text : s.schema,
    ...(s.schemaType === 'AVRO' ? {} : { schemaType: s.schemaType }),
    ...(s.references.length > 0 ? { references: s.references } : {}),
  });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.requests.push(path);
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(value));
    };
    if (state.failWith !== undefined) return send(state.failWith, { error_code: state.failWith * 100 + 1, message: 'stand-in registry told to fail' });
    if (expected !== undefined && req.headers.authorization !== expected) return send(401, { error_code: 40101, message: 'Unauthorized' });
    if (path === '/schemas/types') return send(200, ['JSON', 'PROTOBUF', 'AVRO']);
    const byId = /^\/schemas\/ids\/(\d+)$/.exec(path);
    if (byId) {
      const s = schemas.find((x) => x.id === Number(byId[1]));
      return s ? send(200, body(s)) : send(404, { error_code: 40403, message: `Schema ${byId[1]} not found` });
    }
    const version = /^\/subjects\/([^/]+)\/versions\/(\d+)$/.exec(path);
    if (version) {
      const subject = decodeURIComponent(version[1]!);
      const s = schemas.find((x) => x.subject === subject && x.version === Number(version[2]));
      return s ? send(200, { subject, version: s.version, id: s.id, ...body(s) }) : send(404, { error_code: 40401, message: `Subject '${subject}' not found.` });
    }
    send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
