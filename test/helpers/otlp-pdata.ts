/**
 * The OpenTelemetry Collector's own OTLP decoder as a test oracle: test/interop/otlp-pdata (Go, the
 * Collector's pdata module) reads Kafka message values exactly as the Collector's kafka receiver does
 * for `encoding: otlp_proto` and prints each as OTLP/JSON. A test hands it the values it read from a
 * topic and gets one parsed OTLP/JSON object per message back; a value the Collector would refuse
 * rejects the promise with the message's index and pdata's error.
 *
 * The binary is built once per process with `go build` into dist/otlp-pdata/ (test/helpers/go-build.ts;
 * about 25 s measured cold, a second or two once Go's caches hold it).
 */
import { spawn } from 'node:child_process';
import { buildGo } from './go-build.ts';

/** Builds the decoder (once per process) and returns its path. */
export function buildPdataDecoder(): Promise<string> {
  return buildGo('test/interop/otlp-pdata', 'dist/otlp-pdata/otlp-pdata', '.', "the OTLP interop tests (the Collector's decoder, test/interop/otlp-pdata)");
}

/** Runs the built decoder on `messages`: OTLP/JSON per message, in order. */
function decode(bin: string, messages: Buffer[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(err.trim() || `otlp-pdata exited ${code}`));
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
      if (lines.length !== messages.length) return reject(new Error(`otlp-pdata printed ${lines.length} lines for ${messages.length} messages`));
      resolve(lines.map((l) => JSON.parse(l) as unknown));
    });
    // A decoder that failed early closes its stdin; its exit message is the error worth reporting.
    child.stdin.on('error', () => undefined);
    for (const m of messages) {
      const head = Buffer.allocUnsafe(4);
      head.writeUInt32BE(m.length);
      child.stdin.write(head);
      child.stdin.write(m);
    }
    child.stdin.end();
  });
}

/** The Collector's decoder, built: call it with message values, get their OTLP/JSON objects. */
export async function pdataDecoder(): Promise<(messages: Buffer[]) => Promise<unknown[]>> {
  const bin = await buildPdataDecoder();
  return (messages) => decode(bin, messages);
}
