/**
 * A TCP proxy in front of the real test broker that can lose Produce responses: the broker writes the
 * batch and the client never hears, which is the fault a broker dying between its append and its answer
 * causes, made on demand. Kafka itself is real; only the wire between them is in the test's hands.
 *
 * It reads Kafka's framing (4-byte size, then the request header's API key and correlation id) so it
 * knows which response answers what. Metadata answers name the broker's own port; the proxy writes its
 * own port there (a fixed-size int32 after the host "127.0.0.1", patched in place) so the client keeps
 * talking through it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const HOST = Buffer.from('127.0.0.1');
const API_PRODUCE = 0;
const API_METADATA = 3;

export interface KafkaProxy {
  port: number;
  /** Produce responses swallowed so far. */
  readonly swallowed: number;
  /**
   * Swallows the next `n` Produce responses, then cuts every client connection; new connections are
   * refused until `release()`.
   */
  loseProduceResponses(n: number): void;
  release(): void;
  close(): Promise<void>;
}

/** Splits a byte stream into Kafka frames (size prefix included). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

function patchPort(frame: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(frame);
  for (let at = out.indexOf(HOST); at >= 0; at = out.indexOf(HOST, at + 1)) {
    const p = at + HOST.length;
    if (p + 4 <= out.length && out.readInt32BE(p) === from) out.writeInt32BE(to, p);
  }
  return out;
}

export async function startKafkaProxy(brokerPort: number): Promise<KafkaProxy> {
  const clients = new Set<Socket>();
  let toSwallow = 0;
  let swallowed = 0;
  let refusing = false;
  const cutAll = () => {
    refusing = true;
    for (const c of clients) c.destroy();
  };
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    clients.add(client);
    const broker = connect(brokerPort, '127.0.0.1');
    const apiOf = new Map<number, number>();
    let cut = false;
    const end = () => {
      clients.delete(client);
      client.destroy();
      broker.destroy();
    };
    client.on('close', end).on('error', end);
    broker.on('close', end).on('error', end);
    client.on(
      'data',
      framer((frame) => {
        apiOf.set(frame.readInt32BE(8), frame.readInt16BE(4));
        broker.write(frame);
      }),
    );
    broker.on(
      'data',
      framer((frame) => {
        if (cut) return;
        const id = frame.readInt32BE(4);
        const api = apiOf.get(id);
        apiOf.delete(id);
        if (api === API_PRODUCE && toSwallow > 0) {
          toSwallow--;
          swallowed++;
          if (toSwallow === 0) {
            cut = true;
            cutAll();
          }
          return;
        }
        client.write(api === API_METADATA ? patchPort(frame, brokerPort, port) : frame);
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get swallowed() {
      return swallowed;
    },
    loseProduceResponses(n) {
      toSwallow = n;
    },
    release() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => resolve());
      }),
  };
}
