/**
 * Card payments with a fraud pattern, for the feature-view example, tests and benchmark: a seed and a
 * time range in, JSON payment events out (one per line / Kafka record, keyed by card), each with its
 * label `is_fraud`. Same seed, same events, byte for byte.
 *
 * Normal cards pay a few times an hour at a handful of their usual merchants, mostly in person, with
 * log-normal amounts around their own typical amount and about 2 % declines. A compromised card, for
 * 10 to 30 minutes, pays every one to two minutes at merchants it never used, online, with larger
 * amounts and many declines (card testing, then cash-out): `is_fraud` is true for those events.
 */
import { Rng } from './prng.ts';

export interface PaymentEvent {
  /** Event time, epoch ms. */
  ts: number;
  card_id: string;
  merchant_id: string;
  amount: number;
  online: boolean;
  /** 200 approved, 402 declined. */
  status: number;
  is_fraud: boolean;
}

export interface PaymentOptions {
  seed?: number | string;
  /** Event time of the first payment, epoch ms. */
  start: number;
  /** Length of the stream in event time, ms. */
  spanMs: number;
  cards?: number;
  /** Share of cards compromised once during the span (default 0.15). */
  fraudShare?: number;
}

/** The payments source as a feature-view source (`sources:` entry). */
export const PAYMENTS_SOURCE = {
  name: 'payments',
  topic: 'payments.v1',
  description: 'Card payments (workload/payments.ts).',
  time_field: 'ts',
  fields: { card_id: 'string', merchant_id: 'string', amount: 'number', online: 'boolean', status: 'integer', is_fraud: { type: 'boolean', optional: true } },
} as const;

export function generatePayments(options: PaymentOptions): PaymentEvent[] {
  const rng = new Rng(options.seed ?? 7);
  const cards = options.cards ?? 200;
  const end = options.start + options.spanMs;
  const out: PaymentEvent[] = [];
  for (let c = 0; c < cards; c++) {
    const r = rng.fork(`card-${c}`);
    const card = `card-${String(c).padStart(5, '0')}`;
    const usual = Array.from({ length: r.int(3, 8) }, () => `m-${r.int(0, 2000)}`);
    const typical = r.logNormal(40, 0.6);
    const perHour = 1 + r.next() * 5;
    const onlineShare = r.next() * 0.3;
    let fraudFrom = Infinity;
    let fraudTo = -Infinity;
    if (r.chance(options.fraudShare ?? 0.15)) {
      fraudFrom = options.start + r.next() * Math.max(0, options.spanMs - 30 * 60_000);
      fraudTo = fraudFrom + (10 + r.next() * 20) * 60_000;
    }
    let t = options.start + r.next() * (3_600_000 / perHour);
    while (t < end) {
      const fraud = t >= fraudFrom && t < fraudTo;
      if (fraud) {
        out.push({
          ts: Math.round(t), card_id: card, merchant_id: `m-${r.int(5000, 9000)}`, amount: round2(r.logNormal(typical * 3, 0.9)),
          online: r.chance(0.9), status: r.chance(0.35) ? 402 : 200, is_fraud: true,
        });
        t += (45 + r.next() * 90) * 1000;
      } else {
        out.push({
          ts: Math.round(t), card_id: card, merchant_id: r.chance(0.9) ? r.pick(usual) : `m-${r.int(0, 5000)}`, amount: round2(r.logNormal(typical, 0.5)),
          online: r.chance(onlineShare), status: r.chance(0.02) ? 402 : 200, is_fraud: false,
        });
        // Exponential gaps, with the fraud window's start as a stop so a compromise is not skipped over.
        const gap = (-Math.log(1 - r.next()) * 3_600_000) / perHour;
        t = t < fraudFrom && t + gap > fraudFrom ? fraudFrom : t + gap;
      }
    }
  }
  out.sort((a, b) => a.ts - b.ts || (a.card_id < b.card_id ? -1 : 1));
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
