/**
 * The worker's own counters flow into `pipeline_stats` every few seconds: counters as deltas since the
 * previous successful write (so sums across restarts stay right), gauges as their current value. A
 * failed write is not retried on its own; its deltas are carried into the next one.
 */
import { type Store } from '../core/storage/store.ts';
import { type PipelineStatRow } from '../core/contracts/rows.ts';
import { type Stage } from '../core/contracts/pipeline-stats.ts';

export interface StatSample {
  stage: Stage;
  name: string;
  value: number;
  kind: 'counter' | 'gauge';
}

export class StatsWriter {
  private readonly written = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly instance: string,
  ) {}

  /** The rows to write now for these samples (counters as deltas). */
  rows(samples: readonly StatSample[], now = new Date()): { rows: PipelineStatRow[]; commit: () => void } {
    const time = now.toISOString().replace('T', ' ').replace('Z', '');
    const rows: PipelineStatRow[] = [];
    const next = new Map<string, number>();
    for (const s of samples) {
      const key = `${s.stage}/${s.name}`;
      if (s.kind === 'counter') {
        const delta = s.value - (this.written.get(key) ?? 0);
        next.set(key, s.value);
        if (delta === 0) continue;
        rows.push({ time, instance: this.instance, stage: s.stage, name: s.name, value: delta });
      } else {
        rows.push({ time, instance: this.instance, stage: s.stage, name: s.name, value: s.value });
      }
    }
    return { rows, commit: () => { for (const [k, v] of next) this.written.set(k, v); } };
  }

  /** Writes one row set; false (and nothing counted as written) when the store refused it. */
  async write(samples: readonly StatSample[], now = new Date()): Promise<boolean> {
    const { rows, commit } = this.rows(samples, now);
    if (rows.length === 0) return true;
    try {
      await this.store.insert('pipeline_stats', rows, { dedupToken: `stats/${this.instance}/${now.getTime()}/${this.seq++}` });
      commit();
      return true;
    } catch {
      return false;
    }
  }
}
