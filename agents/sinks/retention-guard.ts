/**
 * Kafka ages a record by its timestamp, and the agent's is the event time. On a topic with CreateTime
 * timestamps and time-based retention, a line older than the topic's `retention.ms` (history, a rotated
 * week-old file, an agent back after a long outage) is deleted at the broker's next retention check, 5
 * minutes by default, whether or not anything read it. Nothing fails, so nothing else would say so.
 *
 * The sink reads the logs topic's settings at start and every 10 minutes after (DescribeConfigs; an
 * agent not allowed to, or a Kafka not reachable yet, stays unguarded and says so at debug level), so
 * a retention raised after a warning is noticed; the guard counts the records sent past that age and
 * reports them at most every 10 minutes, naming the topic and the fix.
 */
import type { Logger } from 'pino';
import { withAdmin, type AdminOptions } from '../../core/kafka/admin.ts';

export interface TopicRetention {
  topic: string;
  retentionMs: number;
}

/** The topic's time-based retention when it ages records by their own timestamps; undefined when nothing can expire early. */
export async function readRetention(client: Omit<AdminOptions, 'clientId'>, topic: string): Promise<TopicRetention | undefined> {
  const configs = await withAdmin({ ...client, clientId: 'tributary-agent-retention' }, (a) => a.topicConfigs(topic, ['retention.ms', 'message.timestamp.type']));
  // No value (a setting Kafka would not show) is no limit known, not 0.
  const raw = configs.get('retention.ms');
  const retentionMs = raw ? Number(raw) : NaN;
  if (configs.get('message.timestamp.type') === 'LogAppendTime' || !Number.isFinite(retentionMs) || retentionMs < 0) return undefined;
  return { topic, retentionMs };
}

const REPORT_EVERY_MS = 10 * 60_000;

export class RetentionGuard {
  private retention?: TopicRetention;
  private unreported = 0;
  private oldest = Infinity;
  private reportedAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly onCount: (n: number) => void,
  ) {}

  set(retention: TopicRetention | undefined): void {
    this.retention = retention;
  }

  get active(): boolean {
    return this.retention !== undefined;
  }

  /** Counts the timestamps (epoch ms) older than the topic keeps; one comparison per record. */
  check(times: ArrayLike<number>, count = times.length, now = Date.now(), weights?: ArrayLike<number>): void {
    const r = this.retention;
    if (!r) return;
    const cutoff = now - r.retentionMs;
    let n = 0;
    let oldest = this.oldest;
    for (let i = 0; i < count; i++) {
      const t = times[i]!;
      if (t < cutoff) {
        // A message of several records (records_per_message) counts them all.
        n += weights ? weights[i]! : 1;
        if (t < oldest) oldest = t;
      }
    }
    if (n === 0) return;
    this.oldest = oldest;
    this.unreported += n;
    this.onCount(n);
    if (now - this.reportedAt < REPORT_EVERY_MS) return;
    this.reportedAt = now;
    this.log.warn(
      { topic: r.topic, retentionMs: r.retentionMs, records: this.unreported, oldest: new Date(this.oldest).toISOString() },
      `Records older than ${r.topic}'s retention.ms (${formatDays(r.retentionMs)}) were sent: Kafka ages records by their timestamp, the event time, and deletes these at its next retention check (within minutes), read or not. Raise retention.ms on the topic, or set its message.timestamp.type=LogAppendTime, before shipping history.`,
    );
    this.unreported = 0;
    this.oldest = Infinity;
  }
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Number(days.toFixed(1))} d` : `${Math.round(ms / 3_600_000)} h`;
}
