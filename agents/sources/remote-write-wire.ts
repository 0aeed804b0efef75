/**
 * Prometheus remote write's two protobuf messages, decoded (after snappy, snappy.ts): 1.0's
 * `prometheus.WriteRequest` (series with their labels as strings, and metadata by family in the same
 * or a later request) and 2.0's `io.prometheus.write.v2.Request` (labels, units and help as references
 * into one table of strings; each series with its own metadata). Both come out as one shape: series
 * with labels (`__name__` among them), float samples, and the type and unit where the sender said them.
 * Native histograms are decoded to their buckets by index (spans and deltas, or float counts; custom
 * bounds too); exemplars are counted, not decoded. A message that is not protobuf, whose references
 * point outside its table, or whose histogram spans and counts do not add up, is refused naming the byte.
 */
import { setOwn } from '../transforms/parsers/fields.ts';
import { SHORT, shortString } from './recent-strings.ts';

/** A family's type as the metadata names it (OpenMetrics' types). */
export type RemoteType = 'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';
const TYPES: readonly RemoteType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

export interface RemoteSeries {
  labels: Record<string, string>;
  /** Values and their times (epoch ms), as sent. */
  values: number[];
  times: number[];
  /** Native histogram samples, decoded. */
  histograms: NativeHistogram[];
  exemplars: number;
  /** Prometheus' staleness markers (the series went away), samples and native histograms, left out of `values` and `histograms`. */
  stale: number;
  /** 2.0: the series' own metadata. */
  type?: RemoteType;
  unit?: string;
}

/** One native histogram sample (Prometheus' `Histogram` message, 1.0 and 2.0 alike). */
export interface NativeHistogram {
  /** Epoch ms. */
  time: number;
  count: number;
  sum: number;
  /** The exponential scale (-4 to 8 from Prometheus), or -53: custom bounds (`customBounds`). */
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  /** Counts by Prometheus' bucket index (bucket i holds (base^(i-1), base^i]; with custom bounds, up to customBounds[i]), lowest first. */
  positive: Array<[number, number]>;
  negative: Array<[number, number]>;
  customBounds: number[];
  /** Sent as a gauge histogram (reset hint GAUGE): its counts may go down. */
  gauge: boolean;
  /** A staleness marker (its sum the staleness NaN): counted on its series (`stale`), never kept. */
  stale?: boolean;
}

export interface RemoteWrite {
  series: RemoteSeries[];
  /** 1.0: metadata by family name (Prometheus sends it apart from samples, every minute by default). */
  metadata: Map<string, { type: RemoteType; unit: string }>;
}

/** Prometheus' staleness marker, a NaN no arithmetic makes (its model/value's StaleNaN, 0x7ff0000000000002). */
const STALE_HIGH = 0x7ff00000;
const STALE_LOW = 0x00000002;

class Reader {
  at = 0;
  end: number;
  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** Into a length-delimited field: until `leave`, its end is the end. Returns the outer end. */
  enter(): number {
    const n = this.varint();
    const end = this.at + n;
    if (end > this.end) throw new Error(`a field of ${n} bytes runs past its message's end (byte ${this.at})`);
    const outer = this.end;
    this.end = end;
    return outer;
  }

  leave(outer: number): void {
    this.at = this.end;
    this.end = outer;
  }

  varint(): number {
    let n = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.at >= this.end) throw new Error(`a varint runs past its message's end (byte ${this.at})`);
      const b = this.buf[this.at++]!;
      // Multiplication, not shifts: JavaScript's shifts are 32-bit; a time in ms needs 41 bits.
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
    throw new Error(`a varint longer than 10 bytes (byte ${this.at})`);
  }

  /** A varint read as a signed 64-bit integer (int64: negative numbers are ten bytes of two's complement). */
  int64(): number {
    const n = this.varint();
    return n >= 2 ** 63 ? n - 2 ** 64 : n;
  }

  /** A sint32/sint64 (zigzag). */
  sint(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** A repeated scalar: packed (one length-delimited run) or one value per key. */
  repeated(wire: number, one: () => number, into: number[]): void {
    if (wire !== 2) {
      into.push(one());
      return;
    }
    const outer = this.enter();
    while (this.at < this.end) into.push(one());
    this.leave(outer);
  }

  double(): number {
    if (this.at + 8 > this.end) throw new Error(`a double runs past its message's end (byte ${this.at})`);
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  /** A length-delimited field's bounds. */
  bytes(): [number, number] {
    const n = this.varint();
    const from = this.at;
    if (from + n > this.end) throw new Error(`a field of ${n} bytes runs past its message's end (byte ${from})`);
    this.at = from + n;
    return [from, from + n];
  }

  string(): string {
    const n = this.varint();
    const from = this.at;
    const to = from + n;
    if (to > this.end) throw new Error(`a string of ${n} bytes runs past its message's end (byte ${from})`);
    this.at = to;
    // Label names and values repeat from series to series: made once (recent-strings.ts).
    return n <= SHORT ? shortString(this.buf, from, n) : this.buf.toString('utf8', from, to);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.at += 4;
    else throw new Error(`wire type ${wire} is not one protobuf writes here (byte ${this.at})`);
    if (this.at > this.end) throw new Error(`a field runs past its message's end (byte ${this.at})`);
  }
}

function typeOf(n: number): RemoteType {
  return TYPES[n] ?? 'unknown';
}

/** A 1.0 `WriteRequest`. */
export function decodeWriteRequest(buf: Buffer): RemoteWrite {
  const r = new Reader(buf);
  const out: RemoteWrite = { series: [], metadata: new Map() };
  while (r.at < r.end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 1 && (key & 7) === 2) {
      const outer = r.enter();
      out.series.push(seriesV1(r));
      r.leave(outer);
    } else if (field === 3 && (key & 7) === 2) {
      const outer = r.enter();
      let type: RemoteType = 'unknown';
      let family = '';
      let unit = '';
      while (r.at < r.end) {
        const k = r.varint();
        if (k === (1 << 3)) type = typeOf(r.varint());
        else if (k === ((2 << 3) | 2)) family = r.string();
        else if (k === ((5 << 3) | 2)) unit = r.string();
        else r.skip(k & 7);
      }
      r.leave(outer);
      if (family !== '') out.metadata.set(family, { type, unit });
    } else r.skip(key & 7);
  }
  return out;
}

function seriesV1(r: Reader): RemoteSeries {
  const s: RemoteSeries = { labels: {}, values: [], times: [], histograms: [], exemplars: 0, stale: 0 };
  while (r.at < r.end) {
    const key = r.varint();
    if (key === ((1 << 3) | 2)) {
      const outer = r.enter();
      let name = '';
      let value = '';
      while (r.at < r.end) {
        const k = r.varint();
        if (k === ((1 << 3) | 2)) name = r.string();
        else if (k === ((2 << 3) | 2)) value = r.string();
        else r.skip(k & 7);
      }
      r.leave(outer);
      setOwn(s.labels, name, value);
    } else if (key === ((2 << 3) | 2)) sample(r, s);
    else if (key === ((3 << 3) | 2)) {
      r.bytes();
      s.exemplars++;
    } else if (key === ((4 << 3) | 2)) addHistogram(s, histogram(r));
    else r.skip(key & 7);
  }
  return s;
}

/** Spans of buckets (first offset the first index, each next one the gap after the one before) and their counts, as [index, count]. */
function bucketsOf(spans: Array<[number, number]>, deltas: number[], counts: number[], at: number): Array<[number, number]> {
  const values = counts.length > 0 ? counts : deltas;
  let total = 0;
  for (const [, length] of spans) total += length;
  if (total !== values.length) throw new Error(`a native histogram's spans hold ${total} buckets but ${values.length} counts are given (byte ${at})`);
  const out: Array<[number, number]> = [];
  let index = 0;
  let k = 0;
  let count = 0;
  for (const [offset, length] of spans) {
    index += offset;
    for (let j = 0; j < length; j++, index++, k++) {
      // Integer histograms send each bucket's count as the change from the bucket before.
      count = counts.length > 0 ? values[k]! : count + values[k]!;
      out.push([index, count]);
    }
  }
  return out;
}

/** A histogram sample onto its series, or counted as a staleness marker. */
function addHistogram(s: RemoteSeries, h: NativeHistogram): void {
  if (h.stale) s.stale++;
  else s.histograms.push(h);
}

/** A `Histogram` message, `r` at its length. */
function histogram(r: Reader): NativeHistogram {
  const at = r.at;
  const outer = r.enter();
  const h: NativeHistogram = { time: 0, count: 0, sum: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, positive: [], negative: [], customBounds: [], gauge: false };
  const spans = { negative: [] as Array<[number, number]>, positive: [] as Array<[number, number]> };
  const deltas = { negative: [] as number[], positive: [] as number[] };
  const counts = { negative: [] as number[], positive: [] as number[] };
  const sint = () => r.sint();
  const double = () => r.double();
  while (r.at < r.end) {
    const k = r.varint();
    const field = Math.floor(k / 8);
    const wire = k & 7;
    if (k === (1 << 3)) h.count = r.varint();
    else if (k === ((2 << 3) | 1)) h.count = r.double();
    else if (k === ((3 << 3) | 1)) {
      // Prometheus marks a histogram series that went away by its sum (the staleness NaN, read from the bytes).
      h.stale = r.at + 8 <= r.end && r.buf.readUInt32LE(r.at) === STALE_LOW && r.buf.readUInt32LE(r.at + 4) === STALE_HIGH;
      h.sum = r.double();
    }
    else if (k === (4 << 3)) h.schema = r.sint();
    else if (k === ((5 << 3) | 1)) h.zeroThreshold = r.double();
    else if (k === (6 << 3)) h.zeroCount = r.varint();
    else if (k === ((7 << 3) | 1)) h.zeroCount = r.double();
    else if ((field === 8 || field === 11) && wire === 2) {
      const o = r.enter();
      let offset = 0;
      let length = 0;
      while (r.at < r.end) {
        const kk = r.varint();
        if (kk === (1 << 3)) offset = r.sint();
        else if (kk === (2 << 3)) length = r.varint();
        else r.skip(kk & 7);
      }
      r.leave(o);
      const list = field === 8 ? spans.negative : spans.positive;
      if (offset < 0 && list.length > 0) throw new Error(`a native histogram's span goes back ${-offset} buckets (byte ${r.at})`);
      list.push([offset, length]);
    } else if (field === 9 || field === 12) r.repeated(wire, sint, field === 9 ? deltas.negative : deltas.positive);
    else if (field === 10 || field === 13) r.repeated(wire, double, field === 10 ? counts.negative : counts.positive);
    else if (k === (14 << 3)) h.gauge = r.varint() === 3;
    else if (k === (15 << 3)) h.time = r.int64();
    else if (field === 16) r.repeated(wire, double, h.customBounds);
    else r.skip(wire);
  }
  r.leave(outer);
  h.negative = bucketsOf(spans.negative, deltas.negative, counts.negative, at);
  h.positive = bucketsOf(spans.positive, deltas.positive, counts.positive, at);
  return h;
}

/** A `Sample` message, `r` at its length. */
function sample(r: Reader, s: RemoteSeries): void {
  const outer = r.enter();
  let value = 0;
  let time = 0;
  let stale = false;
  while (r.at < r.end) {
    const k = r.varint();
    if (k === ((1 << 3) | 1)) {
      // Read from the bytes: a NaN's payload may not survive being a JavaScript number.
      stale = r.at + 8 <= r.end && r.buf.readUInt32LE(r.at) === STALE_LOW && r.buf.readUInt32LE(r.at + 4) === STALE_HIGH;
      value = r.double();
    } else if (k === (2 << 3)) time = r.int64();
    else r.skip(k & 7);
  }
  r.leave(outer);
  if (stale) {
    s.stale++;
    return;
  }
  s.values.push(value);
  s.times.push(time);
}

/** A 2.0 `Request`. */
export function decodeRequestV2(buf: Buffer): RemoteWrite {
  const r = new Reader(buf);
  const symbols: string[] = [];
  const raw: number[] = [];
  // The symbols may come after the series that refer to them: series are read once the table is whole.
  while (r.at < r.end) {
    const key = r.varint();
    if (key === ((4 << 3) | 2)) symbols.push(r.string());
    else if (key === ((5 << 3) | 2)) {
      raw.push(r.at);
      r.bytes();
    } else r.skip(key & 7);
  }
  const symbol = (ref: number, at: number): string => {
    const s = symbols[ref];
    if (s === undefined) throw new Error(`a series refers to symbol ${ref}, past the table's ${symbols.length} (byte ${at})`);
    return s;
  };
  const series: RemoteSeries[] = [];
  const t = r;
  const refs: number[] = [];
  for (const at of raw) {
    const s: RemoteSeries = { labels: {}, values: [], times: [], histograms: [], exemplars: 0, stale: 0 };
    refs.length = 0;
    t.at = at;
    t.end = buf.length;
    const top = t.enter();
    while (t.at < t.end) {
      const key = t.varint();
      if (key === ((1 << 3) | 2)) {
        const outer = t.enter();
        while (t.at < t.end) refs.push(t.varint());
        t.leave(outer);
      } else if (key === (1 << 3)) refs.push(t.varint());
      else if (key === ((2 << 3) | 2)) sample(t, s);
      else if (key === ((3 << 3) | 2)) addHistogram(s, histogram(t));
      else if (key === ((4 << 3) | 2)) {
        t.bytes();
        s.exemplars++;
      } else if (key === ((5 << 3) | 2)) {
        const outer = t.enter();
        while (t.at < t.end) {
          const k = t.varint();
          if (k === (1 << 3)) s.type = typeOf(t.varint());
          else if (k === (4 << 3)) s.unit = symbol(t.varint(), t.at);
          else t.skip(k & 7);
        }
        t.leave(outer);
      } else t.skip(key & 7);
    }
    if (refs.length % 2 !== 0) throw new Error(`a series has ${refs.length} label references, not name and value pairs (byte ${t.at})`);
    for (let i = 0; i < refs.length; i += 2) setOwn(s.labels, symbol(refs[i]!, t.at), symbol(refs[i + 1]!, t.at));
    t.leave(top);
    series.push(s);
  }
  return { series, metadata: new Map() };
}
