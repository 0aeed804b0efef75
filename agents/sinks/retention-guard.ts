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
 *
 * The same settings bound a timestamp the other way: a broker refuses a batch holding any record
 * stamped more than `message.timestamp.after.max.ms` ahead of its clock (one hour by default since
 * Kafka 4.0) or, when set, more than `message.timestamp.before.max.ms` behind it, and the whole batch
 * is lost with it, its good records too. A line stamped in the future is common enough (a clock, or a
 * time zone the line does not name read as UTC), so `TimestampClamp` gives such a record the time it
 * is sent as its Kafka timestamp instead; its `time` field keeps the event time. Counted and reported
 * like the retention's, naming the first such time.
 */
import type { Logger } from 'pino';
import { withAdmin, type AdminOptions } from '../../core/kafka/admin.ts';

export interface TopicRetention {
  topic: string;
  retentionMs: number;
}

/** How far from the broker's clock a record's timestamp may be (ms), as the topic says. */
export interface TimestampLimits {
  topic: string;
  /** Ahead of the broker's clock; Infinity when unlimited. */
  afterMs: number;
  /** Behind it; Infinity when unlimited. */
  beforeMs: number;
}

/** The logs topic's time settings: its retention (undefined when nothing can expire early) and its timestamp limits. */
export async function readTopicTimes(client: Omit<AdminOptions, 'clientId'>, topic: string): Promise<{ retention?: TopicRetention; limits?: TimestampLimits }> {
  const configs = await withAdmin({ ...client, clientId: 'tributary-agent-retention' }, (a) =>
    a.topicConfigs(topic, ['retention.ms', 'message.timestamp.type', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms']),
  );
  // The broker stamps records itself: neither limit applies, nor does a record age by its own time.
  if (configs.get('message.timestamp.type') === 'LogAppendTime') return { limits: { topic, afterMs: Infinity, beforeMs: Infinity } };
  // No value (a setting Kafka would not show) is no limit known, not 0.
  const ms = (key: string) => {
    const raw = configs.get(key);
    const n = raw ? Number(raw) : NaN;
    return Number.isFinite(n) && n >= 0 && n < 9e18 ? n : Infinity;
  };
  const retentionMs = ms('retention.ms');
  // Before Kafka 3.6 one setting bounded both ways (message.timestamp.difference.max.ms).
  const difference = ms('message.timestamp.difference.max.ms');
  return {
    retention: Number.isFinite(retentionMs) ? { topic, retentionMs } : undefined,
    limits: { topic, afterMs: Math.min(ms('message.timestamp.after.max.ms'), difference), beforeMs: Math.min(ms('message.timestamp.before.max.ms'), difference) },
  };
}

/** The topic's time-based retention when it ages records by their own timestamps; undefined when nothing can expire early. */
export async function readRetention(client: Omit<AdminOptions, 'clientId'>, topic: string): Promise<TopicRetention | undefined> {
  return (await readTopicTimes(client, topic)).retention;
}

/** Kafka 4.0's default `message.timestamp.after.max.ms`: the limit assumed until the topic's is read. */
export const DEFAULT_AFTER_MAX_MS = 3_600_000;

/**
 * Gives records the topic would refuse for their timestamp the time they are sent instead (in place,
 * in the batch's column of Kafka timestamps), counting them and reporting at most every 10 minutes.
 * Until the topic's limits are read (or when they cannot be), Kafka 4.0's default is assumed: one hour
 * ahead, none behind. A minute's margin (a tenth of a smaller limit) is left for the clocks of agent and
 * broker to differ and for the batch's time in the queue.
 */
export class TimestampClamp {
  private limits: TimestampLimits | undefined;
  private unreported = 0;
  private first = NaN;
  private reportedAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly onCount: (n: number) => void,
    private readonly defaultAfterMs = DEFAULT_AFTER_MAX_MS,
  ) {}

  set(limits: TimestampLimits | undefined): void {
    this.limits = limits;
  }

  /** Clamps `times[0..count)` (epoch ms) into the topic's window around `now`; returns how many records moved. */
  clamp(times: { [i: number]: number; readonly length: number }, count = times.length, now = Date.now(), weights?: ArrayLike<number>): number {
    const after = this.limits?.afterMs ?? this.defaultAfterMs;
    const before = this.limits?.beforeMs ?? Infinity;
    if (after === Infinity && before === Infinity) return 0;
    const hi = now + after - Math.min(60_000, after / 10);
    const lo = now - before + Math.min(60_000, before / 10);
    let n = 0;
    let first = this.first;
    for (let i = 0; i < count; i++) {
      const t = times[i]!;
      if (t <= hi && t >= lo) continue;
      if (first !== first) first = t;
      times[i] = now;
      n += weights ? weights[i]! : 1;
    }
    if (n === 0) return 0;
    this.first = first;
    this.unreported += n;
    this.onCount(n);
    if (now - this.reportedAt >= REPORT_EVERY_MS) {
      this.reportedAt = now;
      const topic = this.limits?.topic;
      this.log.warn(
        { topic, records: this.unreported, first: new Date(this.first).toISOString(), afterMaxMs: after, beforeMaxMs: before === Infinity ? undefined : before },
        `Records stamped ${first > now ? 'ahead of' : 'behind'} this host's clock by more than the logs topic${topic ? ` ${topic}` : ''} takes (message.timestamp.${first > now ? 'after' : 'before'}.max.ms) were sent with the time they were sent as their Kafka timestamp, so the broker would not refuse their batch; their time field keeps the event time. A line's clock or time zone is likely wrong (a time without a zone is read in the source's time_zone, UTC by default).`,
      );
      this.unreported = 0;
      this.first = NaN;
    }
    return n;
  }
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
