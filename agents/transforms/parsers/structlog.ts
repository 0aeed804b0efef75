/**
 * structlog's console renderer (`structlog.dev.ConsoleRenderer`, its default output): after the stamp and
 * the padded level (`[info     ]`), the event padded to 30 characters, the logger name in brackets when
 * there is one, then the event's pairs, sorted, each `key=value`:
 *
 *   2026-12-03 06:07:24 [error    ] payment failed                 [app.orders] order_id=42 reason='card declined'
 *
 * A value is the string as it is, or Python's `repr` of it when it holds a space, a quote or `=`, or the
 * `repr` of anything else (`['book', 'pen']`, `{'region': 'eu'}`, `None`). The header scan sees the level
 * (header.ts); this reads the rest: the event is the body, the logger and the pairs attributes.
 */
import { setOwn } from './fields.ts';
import { readPairs, unquote } from './pairs.ts';

/** ConsoleRenderer's `pad_event` default: the event is left-justified to this width, then one space. */
const PAD_EVENT = 30;

/**
 * The event of a structlog line's message part (after the level), with its logger and pairs written to
 * `attributes`; the text as it was when what follows the event is not a logger and pairs throughout.
 * Only the first line is read: a traceback under it (format_exc_info) stays in the body as it is.
 */
export function structlogEvent(text: string, attributes: Record<string, string>): string {
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  if (first.length <= PAD_EVENT + 1) return text;
  // A short event is padded, so what follows starts at a known place; a longer one ends at a space
  // after the padding width from which the rest reads whole.
  let from = first.charCodeAt(PAD_EVENT) === 32 ? PAD_EVENT : first.indexOf(' ', PAD_EVENT);
  for (; from !== -1; from = first.indexOf(' ', from + 1)) {
    const found: Array<[string, string]> = [];
    if (readTail(first, from + 1, found)) {
      const event = first.slice(0, from).trimEnd();
      if (event === '') return text;
      for (const [k, v] of found) setOwn(attributes, k, v);
      return nl === -1 ? event : event + text.slice(nl);
    }
    // A padded event has only one place its tail can start.
    if (from === PAD_EVENT && first.charCodeAt(PAD_EVENT - 1) === 32) return text;
  }
  return text;
}

/** `[logger] k=v k=v` (either part may be missing, not both) from `i` to the end, into `out`; false when the text is not that. */
function readTail(s: string, i: number, out: Array<[string, string]>): boolean {
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i + 1);
    if (close === -1 || close === i + 1) return false;
    const name = s.slice(i + 1, close);
    if (name.indexOf(' ') !== -1) return false;
    out.push(['log.logger', name]);
    i = close + 1;
    if (i === s.length) return true;
    if (s.charCodeAt(i) !== 32) return false;
    i++;
  }
  return readPairs(s, i, out, unquote);
}
