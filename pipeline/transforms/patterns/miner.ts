/**
 * The online log pattern miner: a log body goes in, its pattern id and template come out. Bodies are
 * masked, then joined to the most similar cluster of the same shape (or start a new one); the state
 * is bounded (LRU over clusters) and can be exported to JSON and restored.
 */
import { createHash } from 'node:crypto';
import { isInstance, maskBody, WILDCARD } from './mask.ts';
import { type PatternMinerOptions, resolvePatternMinerOptions } from './options.ts';

export interface PatternMatch {
  /** 16 lowercase hex chars; fixed for a cluster from its first template on. */
  patternId: string;
  /** The cluster's template after this line joined it (`<*>` marks variables). */
  template: string;
  /** Whether this line started a new cluster. */
  isNew: boolean;
}

export interface PatternInfo {
  patternId: string;
  template: string;
  count: number;
}

interface Cluster {
  id: string;
  tokens: string[];
  template: string;
  /** Tokens of the template that are not `<*>`; a line must repeat a share of them to join. */
  constants: number;
  count: number;
  groupKey: string;
  alive: boolean;
}

export interface PatternMinerSnapshot {
  version: 1;
  options: PatternMinerOptions;
  /** Least recently used first, so that restoring keeps the eviction order. */
  clusters: { id: string; template: string; count: number }[];
}

/** The id of a template: the first 16 hex chars of its SHA-256, the same in every process. */
export function patternIdOf(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 16);
}

export class PatternMiner {
  readonly options: PatternMinerOptions;
  // Insertion order is recency order: a match re-inserts its cluster at the end.
  private readonly clusters = new Map<string, Cluster>();
  private readonly groups = new Map<string, Cluster[]>();
  private readonly cache = new Map<string, Cluster>();
  private evictedCount = 0;

  constructor(options: Partial<PatternMinerOptions> = {}) {
    this.options = resolvePatternMinerOptions(options);
  }

  /** Clusters evicted so far to honour `maxClusters`. */
  get evictions(): number {
    return this.evictedCount;
  }

  get size(): number {
    return this.clusters.size;
  }

  match(body: string): PatternMatch {
    let tokens = maskBody(body);
    if (tokens.length > this.options.maxTokens) {
      tokens = tokens.slice(0, this.options.maxTokens);
      tokens[tokens.length - 1] = WILDCARD;
    }
    const key = tokens.join(' ');
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.alive) return this.hit(cached, tokens, false);

    const groupKey = groupKeyOf(tokens);
    const group = this.groups.get(groupKey);
    let best: Cluster | undefined;
    let bestScore = -1;
    if (group) {
      for (const c of group) {
        const score = similarity(c, tokens);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
    }
    if (best !== undefined && bestScore >= this.options.similarity) {
      this.remember(key, best);
      return this.hit(best, tokens, true);
    }
    const id = patternIdOf(key);
    const same = this.clusters.get(id);
    if (same !== undefined) {
      // A cluster born from the same template is alive (a hash collision is not a concern at 64 bits).
      this.remember(key, same);
      return this.hit(same, tokens, true);
    }
    const cluster = this.add(id, tokens, 0);
    this.remember(key, cluster);
    cluster.count = 1;
    return { patternId: id, template: cluster.template, isNew: true };
  }

  /** The current template of a pattern, or undefined when it is not (or no longer) in memory. */
  template(patternId: string): string | undefined {
    return this.clusters.get(patternId)?.template;
  }

  /** All clusters, least recently used first. */
  patterns(): PatternInfo[] {
    return [...this.clusters.values()].map((c) => ({ patternId: c.id, template: c.template, count: c.count }));
  }

  snapshot(): PatternMinerSnapshot {
    return {
      version: 1,
      options: { ...this.options },
      clusters: [...this.clusters.values()].map((c) => ({ id: c.id, template: c.template, count: c.count })),
    };
  }

  static restore(snapshot: PatternMinerSnapshot, options: Partial<PatternMinerOptions> = {}): PatternMiner {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.clusters)) {
      throw new Error('not a pattern miner snapshot (version 1)');
    }
    const miner = new PatternMiner({ ...snapshot.options, ...options });
    for (const c of snapshot.clusters) {
      miner.add(c.id, c.template === '' ? [] : c.template.split(' '), c.count);
    }
    return miner;
  }

  private hit(cluster: Cluster, tokens: string[], generalise: boolean): PatternMatch {
    if (generalise) this.generalise(cluster, tokens);
    cluster.count++;
    this.clusters.delete(cluster.id);
    this.clusters.set(cluster.id, cluster);
    return { patternId: cluster.id, template: cluster.template, isNew: false };
  }

  private generalise(cluster: Cluster, tokens: string[]): void {
    let changed = false;
    const t = cluster.tokens;
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== WILDCARD && t[i] !== tokens[i]) {
        t[i] = generaliseToken(t[i]!, tokens[i]!);
        if (t[i] === WILDCARD) cluster.constants--;
        changed = true;
      }
    }
    if (changed) cluster.template = t.join(' ');
  }

  private remember(key: string, cluster: Cluster): void {
    if (this.options.cacheSize === 0) return;
    // Dropping the whole cache at its bound is cheaper than LRU bookkeeping on every hit, and it refills
    // from the clusters in one pass of the hot bodies.
    if (this.cache.size >= this.options.cacheSize) this.cache.clear();
    this.cache.set(key, cluster);
  }

  private add(id: string, tokens: string[], count: number): Cluster {
    const template = tokens.join(' ');
    let constants = 0;
    for (const t of tokens) if (t !== WILDCARD) constants++;
    const cluster: Cluster = { id, tokens: [...tokens], template, constants, count, groupKey: groupKeyOf(tokens), alive: true };
    this.clusters.set(id, cluster);
    const group = this.groups.get(cluster.groupKey);
    if (group) group.push(cluster);
    else this.groups.set(cluster.groupKey, [cluster]);
    while (this.clusters.size > this.options.maxClusters) this.evictOldest();
    return cluster;
  }

  private evictOldest(): void {
    const oldest = this.clusters.values().next().value as Cluster;
    this.clusters.delete(oldest.id);
    oldest.alive = false;
    const group = this.groups.get(oldest.groupKey);
    if (group) {
      const i = group.indexOf(oldest);
      if (i >= 0) group.splice(i, 1);
      if (group.length === 0) this.groups.delete(oldest.groupKey);
    }
    this.evictedCount++;
  }
}

function groupKeyOf(tokens: string[]): string {
  return String(tokens.length);
}

/**
 * Share of the cluster's tokens that the line repeats in place, or -1 when they differ in a place where
 * neither token is an instance of the other: `VM Started` and `VM Stopped` are two events, not one with
 * a variable, and so are `HTTPS` and `SOCKS<*>`; but `chdir(pwd)` fits `chdir(<*>)`.
 */
function similarity(cluster: Cluster, tokens: string[]): number {
  const t = cluster.tokens;
  let same = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = tokens[i]!;
    if (a === b) {
      if (a !== WILDCARD) same++;
    } else if (!compatible(a, b)) {
      return -1;
    }
  }
  return same / t.length;
}

function compatible(a: string, b: string): boolean {
  if (a === WILDCARD || b === WILDCARD) return true;
  const wa = a.includes(WILDCARD);
  const wb = b.includes(WILDCARD);
  if (!wa && !wb) return false;
  return (wa && isInstance(b, a)) || (wb && isInstance(a, b));
}

/** The most specific token that both fit: one of them when it covers the other, else `<*>`. */
function generaliseToken(a: string, b: string): string {
  if (a === WILDCARD || b === WILDCARD) return WILDCARD;
  if (a.includes(WILDCARD) && isInstance(b, a)) return a;
  if (b.includes(WILDCARD) && isInstance(a, b)) return b;
  return WILDCARD;
}
