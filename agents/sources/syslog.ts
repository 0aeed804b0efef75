/**
 * Syslog over the network, as rsyslog, syslog-ng, network devices, firewalls (CEF, LEEF) and
 * `logger -n` send it: over UDP one message per datagram (RFC 5426); over TCP framed by octet counting
 * (`LEN SP <PRI>...`, RFC 6587 3.4.1, rsyslog's and syslog-ng's framing for RFC 5424) or ended by a line
 * feed (3.4.2, the older "plain TCP" syslog; NUL and CR LF end a message too), told apart per message
 * as RFC 6587 suggests: a digit starts a count, `<` a message. The message itself (RFC 5424 or RFC 3164,
 * CEF or LEEF inside) is read by the source's parser, `auto` by default; APP-NAME (TAG) becomes the
 * service when the source names none. TLS (RFC 5425) and RELP are not spoken: put a relay in front.
 */
import { ListenerSource, listenerSourceDefinition, StreamFramer, type FramerStats, type IntakeOptions, type Protocol } from './listener.ts';

/** The syslog protocol for a ListenerSource; `maxBytes` bounds one message. */
export function syslogProtocol(maxBytes: number): Protocol {
  const stats: FramerStats = { truncated: 0, incomplete: 0 };
  return {
    kind: 'syslog',
    stats,
    datagram(buf) {
      let end = buf.length;
      while (end > 0 && (buf[end - 1] === 10 || buf[end - 1] === 13 || buf[end - 1] === 0)) end--;
      if (end === 0) return [];
      if (end > maxBytes) {
        stats.truncated++;
        end = maxBytes;
      }
      return [buf.toString('utf8', 0, end)];
    },
    framer: () => new StreamFramer(maxBytes, stats, { octetCounting: true }),
  };
}

/** A syslog intake: one mode (UDP or TCP) on one address. */
export class SyslogSource extends ListenerSource {
  constructor(name: string, o: IntakeOptions) {
    super(name, syslogProtocol(o.maxMessageBytes), { ...o, serviceFrom: o.serviceFromMessage ? 'syslog.appname' : undefined });
  }
}

export const syslogSourceDefinition = listenerSourceDefinition(
  'syslog',
  'Syslog pushed over UDP or TCP (RFC 5424 and 3164; over TCP octet-counted or line-ended, RFC 6587), as rsyslog, syslog-ng and network devices send it.',
  5514,
  64 * 1024,
  SyslogSource,
);
