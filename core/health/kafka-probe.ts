/**
 * Whether Kafka answers, asked every `intervalMs` through one admin connection (metadata of the
 * topics the process uses). Readiness turns red within `intervalMs + timeoutMs` of a broker going
 * away, whether or not records are flowing.
 */
import { KafkaAdmin } from '../kafka/admin.ts';
import { answerWithin, Periodic } from './periodic.ts';
import type { Check } from './server.ts';

export class KafkaProbe {
  private admin?: KafkaAdmin;
  private stopped = false;
  private lastOkAt = 0;
  private lastError = 'not asked yet';
  private readonly every: Periodic;

  constructor(
    private readonly brokers: string[],
    private readonly topics: string[],
    private readonly o: { intervalMs?: number; timeoutMs?: number } = {},
  ) {
    this.every = new Periodic(() => this.ask(), o.intervalMs ?? 2000);
  }

  start(): void {
    this.every.start();
  }

  private async ask(): Promise<void> {
    const timeoutMs = this.o.timeoutMs ?? 2000;
    try {
      await answerWithin(
        (async () => {
          if (!this.admin) {
            const opened = await KafkaAdmin.connect({ brokers: this.brokers, clientId: 'tributary-health', connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
            // Opened after stop(): nothing would close it later.
            if (this.stopped) return opened.close();
            this.admin = opened;
          }
          const admin = this.admin;
          const md = await admin.metadata(this.topics);
          const missing = md.topics.filter((t) => t.errorCode !== 0).map((t) => t.name);
          if (missing.length) throw new Error(`${admin.address} does not have the topic(s) ${missing.join(', ')}`);
        })(),
        timeoutMs,
      );
      this.lastOkAt = Date.now();
    } catch (err) {
      this.lastError = (err as Error).message;
      // A fresh connection next time: a half-dead one can hang.
      this.admin?.close();
      this.admin = undefined;
    }
  }

  check(now = Date.now()): Check {
    const staleMs = (this.o.intervalMs ?? 2000) * 2 + (this.o.timeoutMs ?? 2000);
    if (now - this.lastOkAt <= staleMs) return { ok: true, detail: `answered ${now - this.lastOkAt} ms ago` };
    return { ok: false, detail: `Kafka at ${this.brokers.join(',')} did not answer${this.lastOkAt ? ` for ${Math.round((now - this.lastOkAt) / 1000)} s` : ''}: ${this.lastError}` };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.every.stop();
    this.admin?.close();
  }
}

/**
 * "Making progress": red when there is work waiting (`pending() > 0`) and the done counter has not
 * moved for `stallMs`. Idle (nothing pending) is progress.
 */
export class ProgressCheck {
  private last = -1;
  private movedAt = Date.now();

  constructor(
    private readonly done: () => number,
    private readonly pending: () => number,
    private readonly stallMs = 30_000,
    private readonly what = 'records',
  ) {}

  check(now = Date.now()): Check {
    const d = this.done();
    const p = this.pending();
    if (d !== this.last || p === 0) {
      this.last = d;
      this.movedAt = now;
    }
    if (p > 0 && now - this.movedAt > this.stallMs) return { ok: false, detail: `${p} ${this.what} waiting and none done for ${Math.round((now - this.movedAt) / 1000)} s` };
    return { ok: true, detail: `${d} ${this.what} done, ${p} waiting` };
  }
}
