/**
 * The online log pattern miner: a log body goes in, its pattern id and template come out. Bodies are
 * masked, then joined to the most similar cluster of the same shape (or start a new one); the state
 * is bounded (LRU over clusters) and can be exported to JSON and restored.
 *
 * Ids: a cluster's id is derived from its first template (SHA-256 of the masked first body, 16 hex
 * chars) and never changes while its template generalises. When several clusters turn out to be one
 * event with a plain-word variable (`for user cyrus`, `for user news`), they are merged into the oldest;
 * the ids of the others become aliases of it (`resolve(id)`), kept as long as the bound allows.
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
  count: number;
  /** Creation order; a merge keeps the oldest cluster. */
  seq: number;
  /** Tick of the last match, for eviction. */
  used: number;
  groupKey: string;
  /** Set when the cluster was evicted or merged; `mergedInto` then names the survivor. */
  alive: boolean;
  mergedInto?: Cluster;
}

export interface PatternMinerSnapshot {
  version: 1;
  options: PatternMinerOptions;
  /** Least recently used first, so that restoring keeps the eviction order. */
  clusters: { id: string; tokens: string[]; count: number; seq: number }[];
  /** Ids of merged clusters and the id they were merged into. */
  aliases: [string, string][];
}

const MAX_BODY_CHARS = 65536;
const MAX_RECENT_MERGES = 10000;
const NO_MERGES: [string, string][] = [];
const MAX_CACHED_KEY = 1024;

/** The id of a template: the first 16 hex chars of its SHA-256, the same in every process. */
export function patternIdOf(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 16);
}

export class PatternMiner {
  readonly options: PatternMinerOptions;
  private readonly clusters = new Map<string, Cluster>();
  private readonly groups = new Map<string, Cluster[]>();
  private readonly cache = new Map<string, Cluster>();
  private readonly aliases = new Map<string, string>();
  private readonly namingWords: Set<string>;
  private seq = 0;
  private tick = 0;
  private evictedCount = 0;
  private mergedCount = 0;
  private recentMerges: [string, string][] = [];

  constructor(options: Partial<PatternMinerOptions> = {}) {
    this.options = resolvePatternMinerOptions(options);
    this.namingWords = new Set(this.options.namingWords.map((w) => w.toLowerCase()));
  }

  /** Clusters evicted so far to honour `maxClusters`. */
  get evictions(): number {
    return this.evictedCount;
  }

  /** Clusters merged into an older one so far. */
  get merges(): number {
    return this.mergedCount;
  }

  /** Clusters in memory. */
  get size(): number {
    return this.clusters.size;
  }

  match(body: string): PatternMatch {
    // Masking is linear in the body; beyond maxTokens nothing is used anyway.
    let tokens = maskBody(body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body);
    if (tokens.length > this.options.maxTokens) {
      tokens = tokens.slice(0, this.options.maxTokens);
      tokens[tokens.length - 1] = WILDCARD;
    }
    const key = tokens.join(' ');
    let cached = this.cache.get(key);
    while (cached !== undefined && !cached.alive) cached = cached.mergedInto;
    if (cached !== undefined) return this.hit(cached, tokens, false);

    const groupKey = groupKeyOf(tokens);
    const group = this.groups.get(groupKey);
    let best: Cluster | undefined;
    let bestScore = -1;
    if (group) {
      for (const c of group) {
        const score = similarity(c.tokens, tokens);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
    }
    if (best === undefined || bestScore < this.options.similarity) {
      best = group ? this.mergeSiblings(group, tokens) : undefined;
    }
    if (best !== undefined) {
      this.remember(key, best);
      return this.hit(best, tokens, true);
    }
    const id = patternIdOf(key);
    // A cluster born from the same template may still be alive, or merged into another: join that one,
    // so that an id never names two clusters.
    const same = this.clusters.get(this.resolve(id));
    if (same !== undefined && same.tokens.length === tokens.length) {
      this.remember(key, same);
      return this.hit(same, tokens, true);
    }
    // An id merged away whose survivor is gone (evicted) names a cluster of its own again.
    if (this.aliases.delete(id)) this.reportMerge(id, id);
    const cluster = this.add(id, tokens, 1);
    this.remember(key, cluster);
    return { patternId: id, template: cluster.template, isNew: true };
  }

  /** The id a pattern id stands for now: itself, or the cluster it was merged into. */
  resolve(patternId: string): string {
    let id = patternId;
    for (let hops = 0; hops < 64; hops++) {
      const next = this.aliases.get(id);
      if (next === undefined) return id;
      id = next;
    }
    return id;
  }

  /**
   * The merges since the last call, as `[merged id, surviving id]` pairs, so that a caller that stored
   * ids (the worker's `log_patterns`) can record them; at most 10000 are kept between calls. Ids that
   * had been merged into the one merged now come again with the new survivor, so the pairs always name
   * the id an id stands for now; `[id, id]` says an id merged away earlier is a pattern of its own again.
   * Callers must not keep the returned array.
   */
  takeMerges(): [string, string][] {
    // Called once per record by the worker: no allocation when nothing merged.
    if (this.recentMerges.length === 0) return NO_MERGES;
    const out = this.recentMerges;
    this.recentMerges = [];
    return out;
  }

  private reportMerge(from: string, to: string): void {
    if (this.recentMerges.length < MAX_RECENT_MERGES) this.recentMerges.push([from, to]);
  }

  /** The current template of a pattern (following merges), or undefined when it is no longer in memory. */
  template(patternId: string): string | undefined {
    return this.clusters.get(this.resolve(patternId))?.template;
  }

  /** All clusters, least recently used first. */
  patterns(): PatternInfo[] {
    return this.byRecency().map((c) => ({ patternId: c.id, template: c.template, count: c.count }));
  }

  snapshot(): PatternMinerSnapshot {
    return {
      version: 1,
      options: { ...this.options, namingWords: [...this.options.namingWords] },
      clusters: this.byRecency().map((c) => ({ id: c.id, tokens: [...c.tokens], count: c.count, seq: c.seq })),
      aliases: [...this.aliases.entries()],
    };
  }

  /** A miner with the state of `snapshot`; `options` override the saved ones (the bound, say). */
  static restore(snapshot: PatternMinerSnapshot, options: Partial<PatternMinerOptions> = {}): PatternMiner {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.clusters)) {
      throw new Error('not a pattern miner snapshot (version 1)');
    }
    const miner = new PatternMiner({ ...snapshot.options, ...options });
    for (const c of snapshot.clusters) {
      // Creation order decides which cluster survives a merge; keep it across the restart.
      // Snapshots of the first version held the template instead of its tokens.
      const legacy = c as { template?: string };
      const tokens = Array.isArray(c.tokens) ? c.tokens : (legacy.template ?? '').split(' ').filter((t) => t !== '');
      const cluster = miner.add(c.id, tokens, c.count);
      if (Number.isInteger(c.seq)) cluster.seq = c.seq;
      miner.seq = Math.max(miner.seq, cluster.seq + 1);
    }
    for (const [from, to] of snapshot.aliases ?? []) miner.alias(from, to);
    return miner;
  }

  private hit(cluster: Cluster, tokens: string[], generalise: boolean): PatternMatch {
    if (generalise) this.generalise(cluster, tokens);
    cluster.count++;
    cluster.used = ++this.tick;
    return { patternId: cluster.id, template: cluster.template, isNew: false };
  }

  private generalise(cluster: Cluster, tokens: string[]): void {
    let changed = false;
    const t = cluster.tokens;
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== WILDCARD && t[i] !== tokens[i]) {
        t[i] = generaliseToken(t[i]!, tokens[i]!);
        changed = true;
      }
    }
    if (changed) cluster.template = t.join(' ');
  }

  /**
   * A line that fits no cluster may be one more value of a plain-word variable: when enough clusters of
   * its group conflict with it in the same one to three places only (`for user cyrus`, `for user news`),
   * they become one cluster with `<*>` there (the oldest survives) and the line joins it. Values after
   * a naming word (`user`, `host`, ...) need two clusters; others need `siblings`, so that a handful of
   * states (`VM Started`, `VM Stopped`) stay distinct events.
   */
  private mergeSiblings(group: Cluster[], tokens: string[]): Cluster | undefined {
    let candidates: { cluster: Cluster; places: number[] }[] | undefined;
    for (const c of group) {
      const places = conflicts(c.tokens, tokens, this.options.similarity);
      if (places !== undefined) (candidates ??= []).push({ cluster: c, places });
    }
    if (!candidates) return undefined;
    // Try the place sets seen, smallest first; each gathers the candidates whose conflicts it covers.
    const sets = new Map<string, number[]>();
    for (const cand of candidates) sets.set(cand.places.join(','), cand.places);
    const ordered = [...sets.values()].sort((x, y) => x.length - y.length);
    for (const places of ordered) {
      const members = candidates.filter((cand) => cand.places.every((p) => places.includes(p)));
      const named = places.every((p) => p > 0 && this.namingWords.has(bareWord(tokens[p - 1]!)));
      // Several places at once only when each is a named or keyed value (`tag="RILJ", name=com.x`):
      // bare words in two places are more likely a state pair (`from NEW to RUNNING`).
      if (places.length > 1 && !named && !places.every((p) => members.every((m) => sameKey(m.cluster.tokens[p]!, tokens[p]!)))) {
        continue;
      }
      if (members.length + 1 < (named ? 2 : this.options.siblings)) continue;
      let survivor = members[0]!.cluster;
      for (const m of members) if (m.cluster.seq < survivor.seq) survivor = m.cluster;
      // The values in each place, as one token that keeps the frame they share (`tag="<*>",`).
      for (const p of places) {
        let frame = tokens[p]!;
        for (const m of members) frame = generaliseToken(frame, m.cluster.tokens[p]!);
        survivor.tokens[p] = frame;
      }
      for (const { cluster: c } of members) {
        if (c === survivor) continue;
        for (let i = 0; i < c.tokens.length; i++) {
          if (survivor.tokens[i] !== c.tokens[i]) survivor.tokens[i] = generaliseToken(survivor.tokens[i]!, c.tokens[i]!);
        }
        survivor.count += c.count;
        this.retire(c);
        c.mergedInto = survivor;
        this.alias(c.id, survivor.id);
        this.mergedCount++;
        this.reportMerge(c.id, survivor.id);
        // Ids merged into `c` before now stand for the survivor too: point them there, so that one
        // look-up resolves any id (the worker's pattern_merges table is read that way).
        for (const [from, to] of this.aliases) {
          if (to === c.id) {
            this.aliases.set(from, survivor.id);
            this.reportMerge(from, survivor.id);
          }
        }
      }
      survivor.template = survivor.tokens.join(' ');
      return survivor;
    }
    return undefined;
  }

  private alias(from: string, to: string): void {
    this.aliases.delete(from);
    this.aliases.set(from, to);
    // Aliases share the clusters' bound; the oldest go first.
    while (this.aliases.size > this.options.maxClusters) {
      this.aliases.delete(this.aliases.keys().next().value as string);
    }
  }

  private remember(key: string, cluster: Cluster): void {
    // Long bodies are rare and would make the cache's memory depend on them; they take the slow path.
    if (this.options.cacheSize === 0 || key.length > MAX_CACHED_KEY) return;
    // Dropping the whole cache at its bound is cheaper than LRU bookkeeping on every hit, and it refills
    // from the clusters in one pass of the hot bodies.
    if (this.cache.size >= this.options.cacheSize) this.cache.clear();
    this.cache.set(key, cluster);
  }

  private add(id: string, tokens: string[], count: number): Cluster {
    const cluster: Cluster = {
      id,
      tokens: [...tokens],
      template: tokens.join(' '),
      count,
      seq: this.seq++,
      used: ++this.tick,
      groupKey: groupKeyOf(tokens),
      alive: true,
    };
    this.clusters.set(id, cluster);
    const group = this.groups.get(cluster.groupKey);
    if (group) group.push(cluster);
    else this.groups.set(cluster.groupKey, [cluster]);
    if (this.clusters.size > this.options.maxClusters) this.evict(cluster);
    return cluster;
  }

  private byRecency(): Cluster[] {
    return [...this.clusters.values()].sort((a, b) => a.used - b.used);
  }

  /**
   * Evicts the least recently used clusters, a 20th of the bound at once, so that a stream of new
   * patterns costs one sort per many clusters rather than a scan per cluster. `keep` is never evicted.
   */
  private evict(keep: Cluster): void {
    const excess = this.clusters.size - this.options.maxClusters;
    const n = Math.max(excess, Math.ceil(this.options.maxClusters / 20));
    const victims = this.byRecency().filter((c) => c !== keep).slice(0, n);
    for (const c of victims) {
      this.retire(c);
      this.evictedCount++;
    }
  }

  /** Takes a cluster out of memory (evicted, or merged into another). */
  private retire(cluster: Cluster): void {
    this.clusters.delete(cluster.id);
    cluster.alive = false;
    const group = this.groups.get(cluster.groupKey);
    if (group) {
      const i = group.indexOf(cluster);
      if (i >= 0) group.splice(i, 1);
      if (group.length === 0) this.groups.delete(cluster.groupKey);
    }
  }
}

function groupKeyOf(tokens: string[]): string {
  return String(tokens.length);
}

const KEY = /^([A-Za-z_][\w.-]*)[=:]/;

/** Whether both tokens are `key=value` (or `key:value`) with the same key. */
function sameKey(a: string, b: string): boolean {
  const ka = KEY.exec(a);
  return ka !== null && b.startsWith(ka[0]);
}

function bareWord(token: string): string {
  return token.replace(/[^A-Za-z]/g, '').toLowerCase();
}

/**
 * Share of the template's tokens that the line repeats in place, or -1 when they differ in a place where
 * neither token is an instance of the other: `VM Started` and `VM Stopped` are two events, not one with
 * a variable, and so are `HTTPS` and `SOCKS<*>`; but `chdir(pwd)` fits `chdir(<*>)`.
 */
function similarity(t: string[], tokens: string[]): number {
  let same = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = tokens[i]!;
    if (a === b) {
      if (a !== WILDCARD) same++;
    } else if (!compatible(a, b, i > 0 && t[i - 1] === WILDCARD && tokens[i - 1] === WILDCARD)) {
      return -1;
    }
  }
  return same / t.length;
}

/**
 * The places (one to three) where template and line conflict, when all else fits: at least two plain
 * words agree, twice as many as the conflicts, and the share of agreeing tokens reaches the threshold.
 * Undefined otherwise.
 */
function conflicts(t: string[], tokens: string[], threshold: number): number[] | undefined {
  let same = 0;
  const places: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const a = t[i]!;
    const b = tokens[i]!;
    if (a === b) {
      if (a !== WILDCARD) same++;
    } else if (!compatible(a, b, i > 0 && t[i - 1] === WILDCARD && tokens[i - 1] === WILDCARD)) {
      if (places.length === 3) return undefined;
      places.push(i);
    }
  }
  const n = places.length;
  // The first word usually names the event itself (`cupsd startup succeeded`, `klogd startup
  // succeeded`); only a long agreeing rest makes it a variable (`com.apple.x: scheduler ... Ignoring.`).
  if (n === 0 || (places[0] === 0 && same < 5)) return undefined;
  return same >= 2 && same >= 2 * n && (same + n) / t.length >= threshold ? places : undefined;
}

/** Whether two tokens can be one token of one event; `afterValue` when both follow a variable. */
function compatible(a: string, b: string, afterValue: boolean): boolean {
  if (a === WILDCARD || b === WILDCARD) return true;
  const wa = a.includes(WILDCARD);
  const wb = b.includes(WILDCARD);
  if ((wa && isInstance(b, a)) || (wb && isInstance(a, b))) return true;
  if (numberedNames(a, b)) return true;
  if (!wa && !wb) return sameButDigits(a, b) || (afterValue && unitsOfOneKind(a, b) !== undefined);
  return keyedValues(a, b);
}

// An identifier of name parts and numbers joined by `_` or `-` (`rdd_2_0`, `broadcast_<*>_piece<*>`,
// `Thunderbird_A8`), masked or not. A name with a number and no joint (`ee0`, `alt0`) more often names
// a thing of its own.
const NAMED_ID = /^[A-Za-z](?:[\w-]|<\*>)*$/;
const NUMBERED_PART = /[_-][A-Za-z]*(?:\d|<\*>)/;

/**
 * Whether both tokens are numbered compound names in the same punctuation (`rdd_2_0` and
 * `broadcast_<*>_piece<*>`, `[Thunderbird_A8]` and `[Thunderbird_B<*>]`): ids of one place.
 */
function numberedNames(a: string, b: string): boolean {
  let p = 0;
  while (p < a.length && p < b.length && a.charCodeAt(p) === b.charCodeAt(p) && OPENS.has(a.charCodeAt(p))) p++;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q) && CLOSES.has(a.charCodeAt(a.length - 1 - q))) q++;
  const x = a.slice(p, a.length - q);
  const y = b.slice(p, b.length - q);
  return NAMED_ID.test(x) && NAMED_ID.test(y) && NUMBERED_PART.test(x) && NUMBERED_PART.test(y);
}

// Units a program picks by the size of the value it prints (`384.0 B`, `317.5 KB`): the unit is part of it.
const UNIT_KINDS: ReadonlyMap<string, string> = new Map([
  ...['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'kB', 'k', 'K', 'M', 'G', 'T'].map((u) => [u, 'size'] as const),
  ...['ns', 'us', 'µs', 'ms', 's', 'sec', 'secs', 'min', 'mins', 'h', 'seconds', 'minutes', 'hours', 'second', 'minute', 'hour'].map((u) => [u, 'time'] as const),
]);
const TRAILING_PUNCTUATION = /[)\]}'":,;.!?]*$/;

/**
 * The punctuation after two units of one kind (`B,` and `KB,` give `,`), or undefined when they are not
 * two units of one kind.
 */
function unitsOfOneKind(a: string, b: string): string | undefined {
  const pa = TRAILING_PUNCTUATION.exec(a)![0];
  if (!b.endsWith(pa) || TRAILING_PUNCTUATION.exec(b)![0] !== pa) return undefined;
  const kind = UNIT_KINDS.get(a.slice(0, a.length - pa.length));
  return kind !== undefined && kind === UNIT_KINDS.get(b.slice(0, b.length - pa.length)) ? pa : undefined;
}

/**
 * Whether both tokens give a value to the same key and one of the values holds a variable already
 * (`ws=null`, `ws=WorkSource{<*>}`): that key's value varies, whatever its shape. Two plain values
 * (`user=root`, `user=guest`) are left to the sibling merge; an empty value (`ruser=`) is none.
 */
function keyedValues(a: string, b: string): boolean {
  const ka = KEY.exec(a);
  if (ka === null || !b.startsWith(ka[0]) || a.length === ka[0].length || b.length === ka[0].length) return false;
  return a.includes(WILDCARD, ka[0].length) || b.includes(WILDCARD, ka[0].length);
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Whether two words differ only in their numbers (`tty2` and `tty3`, `eth0` and `eth1`): masking keeps
 * such words, since most are constant names (`ssh2`, `log4j`); the two are one word with a variable.
 */
function sameButDigits(a: string, b: string): boolean {
  let i = 0, j = 0, digit = false;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i), cb = b.charCodeAt(j);
    if (isDigitCode(ca) && isDigitCode(cb)) {
      digit = true;
      while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
      while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
      continue;
    }
    if (ca !== cb) return false;
    i++;
    j++;
  }
  return digit && i === a.length && j === b.length;
}

/** The most specific token that both fit: one of them when it covers the other, else `<*>`. */
function generaliseToken(a: string, b: string): string {
  if (a === WILDCARD || b === WILDCARD) return WILDCARD;
  if (a.includes(WILDCARD) && isInstance(b, a)) return a;
  if (b.includes(WILDCARD) && isInstance(a, b)) return b;
  // `tty2` and `tty3` make `tty<*>`.
  if (sameButDigits(a, b)) return a.replace(/\d+/g, WILDCARD);
  // `B,` and `KB,` make `<*>,` (compatible() let them meet only after a variable).
  const punctuation = unitsOfOneKind(a, b);
  if (punctuation !== undefined) return WILDCARD + punctuation;
  return keepFrame(a, b);
}

const OPENS = new Set('=:([{\'"#'.split('').map((c) => c.charCodeAt(0)));
const CLOSES = new Set(')]}\'":,;.!?'.split('').map((c) => c.charCodeAt(0)));

/**
 * `<*>` in what both tokens share around their values: a key and the quote or bracket a value opens
 * with (`tag="`, `ComponentInfo{`), the punctuation after it (`",`, `}`). `tag="a",` and `tag="b",`
 * make `tag="<*>",`, as masking keeps `(<*>)` and `<*>,`.
 */
function keepFrame(a: string, b: string): string {
  const max = Math.min(a.length, b.length) - 1;
  let p = 0;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  while (p > 0 && !OPENS.has(a.charCodeAt(p - 1))) p--;
  let q = 0;
  while (q < max - p && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q) && CLOSES.has(a.charCodeAt(a.length - 1 - q))) q++;
  return a.slice(0, p) + WILDCARD + a.slice(a.length - q);
}
