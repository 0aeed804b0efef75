/**
 * RabbitMQ (3.9 and later) writes a message of several lines as several lines under the same prefix:
 * `2026-12-03 06:45:59.693493+00:00 [error] <0.697.0> ` (the time to the microsecond, the level, the
 * Erlang process). The multiline assembler joins a line to the record before it when it repeats that
 * prefix (multiline.ts); the auto parser drops the repeated prefixes from the joined message (auto.ts),
 * as for PostgreSQL's reports (postgres.ts).
 */

/** The prefix of a line in RabbitMQ's layout up to and including the space after the process (`... [error] <0.697.0> `); '' for any other line. Fixed places first. */
export function rabbitmqHead(text: string): string {
  if (text.charCodeAt(19) !== 46 || text.charCodeAt(32) !== 32 || text.charCodeAt(33) !== 91 || text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32) return '';
  const sign = text.charCodeAt(26);
  if (sign !== 43 && sign !== 45) return '';
  const close = text.indexOf('] <', 34);
  if (close === -1 || close > 44) return '';
  const end = text.indexOf('> ', close + 3);
  if (end === -1 || end > close + 40) return '';
  return text.slice(0, end + 2);
}

/** A joined message without the prefix its later lines repeated. */
export function withoutRepeatedHead(body: string, head: string): string {
  const lines = body.split('\n');
  // A line of the message that was empty is the prefix alone, its space trimmed at the end of the body.
  const bare = head.trimEnd();
  let changed = false;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.startsWith(head) || line === bare) {
      lines[n] = line.slice(head.length);
      changed = true;
    }
  }
  if (!changed) return body;
  // A message whose first line was empty (RabbitMQ's start banner) starts at its second.
  let first = 0;
  while (first < lines.length - 1 && lines[first]!.trim() === '') first++;
  return lines.slice(first).join('\n').trimEnd();
}
