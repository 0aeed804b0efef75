/**
 * Event-time watermark over Kafka input partitions: each record's (partition, event time, processing
 * time) flows in through `observe`, and `compute(now)` says up to which event time windows may close.
 *
 * The rule, with both choices made explicit:
 * 1. Per partition we keep the highest event time seen and the processing time of its last record.
 * 2. A partition is ACTIVE while `now - lastActivity <= idleTimeoutMs` (processing time, injected as
 *    `now` so tests are deterministic). The watermark candidate is
 *      min over active partitions of (max event time of that partition) - allowedLatenessMs.
 *    Taking the minimum means a partition that is behind (a slow agent, a backlog being read) holds
 *    windows open until its records have arrived, instead of turning all of them into late records.
 * 3. A partition idle for longer than `idleTimeoutMs` no longer holds the watermark back (a service
 *    that stopped logging must not stall every window). When every partition is idle the candidate is
 *    the highest event time seen over all partitions minus the allowed lateness.
 * 4. The watermark never goes back: it is max(previous watermark, candidate). A partition that wakes
 *    up behind the watermark therefore produces late records; they follow the windows' late rule.
 * A partition announced with `assign` before any record holds the watermark at -Infinity until it
 * sends a record or goes idle, so a freshly assigned partition's backlog is not declared late.
 */

import { TributaryError } from '../../../core/errors.ts';

export interface WatermarkOptions {
  /** How far behind the highest event time the watermark trails, in ms. Default 5000. */
  allowedLatenessMs?: number;
  /** Processing-time silence after which a partition stops holding the watermark back, in ms. Default 30000. */
  idleTimeoutMs?: number;
  /** Starting watermark (e.g. restored from a checkpoint); default -Infinity. */
  initialWatermark?: number;
}

export const DEFAULT_ALLOWED_LATENESS_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** JSON form of the tracker (`-Infinity` as null). */
export interface WatermarkSnapshot {
  watermark: number | null;
  maxEventTime: number | null;
  /** [partition, max event time, last activity]. */
  partitions: [number, number | null, number][];
}

interface PartitionState {
  maxEventTime: number;
  lastActivity: number;
}

/** What `partitions(now)` reports about one partition. */
export interface PartitionWatermark {
  partition: number;
  maxEventTime: number;
  lastActivity: number;
  idle: boolean;
}

export class WatermarkTracker {
  readonly allowedLatenessMs: number;
  readonly idleTimeoutMs: number;
  private readonly parts = new Map<number, PartitionState>();
  private wm: number;
  private globalMax = -Infinity;

  constructor(options: WatermarkOptions = {}) {
    this.allowedLatenessMs = options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!(this.allowedLatenessMs >= 0) || !Number.isFinite(this.allowedLatenessMs)) {
      throw new TributaryError('CONFIG_INVALID', `allowed lateness must be a finite number >= 0, got ${this.allowedLatenessMs}`);
    }
    if (!(this.idleTimeoutMs >= 0)) {
      throw new TributaryError('CONFIG_INVALID', `idle timeout must be >= 0, got ${this.idleTimeoutMs}`);
    }
    this.wm = options.initialWatermark ?? -Infinity;
  }

  /** The watermark as of the last `compute`. */
  get current(): number {
    return this.wm;
  }

  /** Highest event time seen over all partitions (-Infinity before any record). */
  get maxEventTime(): number {
    return this.globalMax;
  }

  /** Announces a partition before its first record, so that it holds the watermark until it speaks or idles. */
  assign(partition: number, now: number): void {
    const p = this.parts.get(partition);
    if (p) p.lastActivity = Math.max(p.lastActivity, now);
    else this.parts.set(partition, { maxEventTime: -Infinity, lastActivity: now });
  }

  /** Forgets a partition (revoked in a rebalance): it no longer holds the watermark back. */
  revoke(partition: number): void {
    this.parts.delete(partition);
  }

  /** Records one record's event time for its partition, at processing time `now`. */
  observe(partition: number, eventTime: number, now: number): void {
    const p = this.parts.get(partition);
    if (p) {
      if (eventTime > p.maxEventTime) p.maxEventTime = eventTime;
      if (now > p.lastActivity) p.lastActivity = now;
    } else {
      this.parts.set(partition, { maxEventTime: eventTime, lastActivity: now });
    }
    if (eventTime > this.globalMax) this.globalMax = eventTime;
  }

  /** Recomputes the watermark at processing time `now` (rule in the header) and returns it. */
  compute(now: number): number {
    let activeMin = Infinity;
    let anyActive = false;
    for (const p of this.parts.values()) {
      if (now - p.lastActivity > this.idleTimeoutMs) continue;
      anyActive = true;
      if (p.maxEventTime < activeMin) activeMin = p.maxEventTime;
    }
    const base = anyActive ? activeMin : this.globalMax;
    const candidate = base - this.allowedLatenessMs;
    if (candidate > this.wm) this.wm = candidate;
    return this.wm;
  }

  /** Moves the watermark to at least `t` regardless of partitions (end of input, tests). */
  forceTo(t: number): number {
    if (t > this.wm) this.wm = t;
    return this.wm;
  }

  snapshot(): WatermarkSnapshot {
    return {
      watermark: finiteOrNull(this.wm),
      maxEventTime: finiteOrNull(this.globalMax),
      partitions: [...this.parts.entries()].sort((a, b) => a[0] - b[0]).map(([p, st]) => [p, finiteOrNull(st.maxEventTime), st.lastActivity]),
    };
  }

  /** Replaces this tracker's state with a snapshot's. */
  restore(s: WatermarkSnapshot): void {
    this.wm = s.watermark ?? -Infinity;
    this.globalMax = s.maxEventTime ?? -Infinity;
    this.parts.clear();
    for (const [p, max, last] of s.partitions) this.parts.set(p, { maxEventTime: max ?? -Infinity, lastActivity: last });
  }

  /** Per-partition view at processing time `now`, ordered by partition number. */
  partitions(now: number): PartitionWatermark[] {
    return [...this.parts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, p]) => ({
        partition,
        maxEventTime: p.maxEventTime,
        lastActivity: p.lastActivity,
        idle: now - p.lastActivity > this.idleTimeoutMs,
      }));
  }
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}
