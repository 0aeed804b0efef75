/**
 * Access lines of proxies and application servers, read by the auto parser where their shape is:
 * Envoy's and Istio's (`[time] "GET / HTTP/1.1" 200 flags ...`), HAProxy's HTTP and TCP logs (as its
 * container image writes them, or as a syslog message), and uvicorn's (`INFO:     1.2.3.4:5 - "GET /
 * HTTP/1.1" 200 OK`, FastAPI's server) and CoreDNS's query log (`[INFO] 10.244.0.1:53812 - 1234 "A IN
 * example.com. udp 29 false 512" NOERROR qr,rd,ra 45 0.000123s`), and the request context nginx puts after an
 * error's message (`..., client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "x"`), Squid's native access log and morgan's
 * formats without a time (Express), uWSGI's request log. The NCSA common and combined formats (Apache, nginx) have
 * their own parser (combined.ts), which shares the request and status helpers here. Attributes use
 * OpenTelemetry's names where it has one (`client.address`, `http.response.status_code`, `url.path`);
 * what is HAProxy's own is under `haproxy.`.
 */
import { badTime } from './layouts.ts';
import { severityFromText } from '../severity.ts';
import { parseApacheTime, readTime, type FoundTime } from '../timestamp.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** An access line after its `[time]`: the request line in quotes, the status (Envoy's and Istio's default access log, `[%START_TIME%] "%REQ(:METHOD)% ... %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ...`). */
const ACCESS_AFTER_TIME = / "([A-Z]{3,10}) (\S+) ([A-Z]+\/[\d.]+)" (\d{3}) (\S+)/y;
/**
 * HAProxy's log line up to its byte count: `client:port [accept date] frontend backend/server timers
 * [status] bytes`. Five timers (`TR/Tw/Tc/Tr/Ta`, the total may carry `+` with `option logasap`) come
 * with a status (the HTTP log); three (`Tw/Tc/Tt`) without (the TCP log).
 */
const HAPROXY_HEAD = /(\S+):(\d{1,5}) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}\.\d{3})\] (\S+) ([^\s/]+)\/(\S+) (-?\d+\/-?\d+\/-?\d+(?:\/-?\d+\/\+?-?\d+)?) (?:(-1|\d{3}) )?(\+?\d+) /y;
/** The HTTP log after the bytes: captured cookies, the termination state, connection counts, queues, captured headers, the request. */
const HAPROXY_HTTP_TAIL = /(\S+) (\S+) ([A-Za-z-]{4}) (\d+\/\d+\/\d+\/\d+\/\+?\d+) (\d+\/\d+)(?: \{([^}]*)\})?(?: \{([^}]*)\})?(?: "([^"]*)"?)?/y;
/** The TCP log after the bytes: the termination state, connection counts, queues. */
const HAPROXY_TCP_TAIL = /([A-Za-z-]{2}) (\d+\/\d+\/\d+\/\d+\/\+?\d+) (\d+\/\d+)(?: |$)/y;
/** uvicorn's access line after its level (`%s - "%s %s HTTP/%s" %d`, the client as `host:port`), a reason phrase after the status in its default colours-off form. */
const UVICORN = /^(\S+):(\d{1,5}) - "([A-Z]{3,10}) (\S+) HTTP\/([\d.]+)" (\d{3})(?: [A-Za-z' -]*)?$/;
/** CoreDNS's `log` plugin, its common format: `{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do} {>bufsize}" {rcode} {>rflags} {rsize} {duration}`. */
const COREDNS = /^(\[[^\]]+\]|[^\s[\]]+):(\d{1,5}) - (\d+) "(\S+) (\S+) (\S+) (udp|tcp) (\d+) (true|false) (\d+)" (\S+) (\S*) (\d+) ([\d.]+)s$/;
/** An access log's other lines: `client - user [time] message` with no quoted request (Python's http.server and werkzeug: `... [02/Dec/2026 15:31:54] code 404, message File not found`). */
const ACCESS_MESSAGE = /^(\S+) - (\S+) \[(\d{1,2}\/[A-Za-z]{3}\/\d{4}[: ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?: [+-]\d{4})?)\] (?!")(.*)$/s;
const HTTP_SERVER_ERROR = /^code (\d{3}), message /;
/** One `key: value` of nginx's request context after an error's message; a value in quotes may hold `, `. */
const NGINX_CONTEXT = /(\w+): ("(?:[^"\\]|\\.)*"|[^",][^,]*|)(?:, |$)/y;
const REQUEST = /^([A-Z]+) (\S+)(?: (HTTP\/[\d.]+))?$/;
const DIGITS = /^\d+$/;
/** morgan's (Express's logger) predefined formats with no time: `dev`, `tiny` (the method first) and `short` (the client first). */
const MORGAN_DEV = /^([A-Z]{3,10}) (\S+) (\d{3}|-) ([\d.]+|-) ms - (\S+)$/;
const MORGAN_TINY = /^([A-Z]{3,10}) (\S+) (\d{3}|-) (\S+) - ([\d.]+|-) ms$/;
const MORGAN_SHORT = /^(\S+) (\S+) ([A-Z]{3,10}) (\S+) HTTP\/([\d.]+) (\d{3}|-) (\S+) - ([\d.]+|-) ms$/;

/**
 * A request line in one of morgan's predefined formats (`GET /x 404 1.759 ms - 146` from `dev`, colours
 * already gone; `GET /x 404 146 - 1.759 ms` from `tiny`; `::1 - GET /x HTTP/1.1 404 146 - 1.759 ms` from
 * `short`): method, path, status (severity from it), size and response time; the line is the body and
 * there is no time (the time of reading stands). Null for any other line. (`common` and `combined` are
 * the NCSA formats: combined.ts.)
 */
export function morganLine(line: string): ParsedFields | null {
  let method: string, target: string, status: string, size: string, ms: string, client: string | undefined, user: string | undefined, version: string | undefined;
  let m = MORGAN_DEV.exec(line);
  if (m) [, method, target, status, ms, size] = m as unknown as string[];
  else if ((m = MORGAN_TINY.exec(line))) [, method, target, status, size, ms] = m as unknown as string[];
  else if ((m = MORGAN_SHORT.exec(line))) [, client, user, method, target, version, status, size, ms] = m as unknown as string[];
  else return null;
  const a: Record<string, string> = {};
  if (client !== undefined) a['client.address'] = client;
  if (user !== undefined && user !== '-') a['user.name'] = user;
  a['http.request.method'] = method!;
  addTarget(a, target!);
  if (version !== undefined) a['network.protocol.version'] = version;
  if (status! !== '-') a['http.response.status_code'] = status!;
  if (size! !== '-') a['http.response.body.size'] = size!;
  if (ms! !== '-') a['morgan.response_time_ms'] = ms!;
  const out: ParsedFields = { body: line, attributes: a };
  setSeverity(out, status! === '-' ? 'INFO' : statusSeverity(+status!));
  return out;
}

/**
 * uWSGI's request log, its default format (logging.c): `[pid: 7|app: 0|req: 4/4] 127.0.0.1 (user)
 * {28 vars in 327 bytes} [Sun Dec  6 06:16:31 2026] POST /orders => generated 14 bytes in 0 msecs
 * (HTTP/1.1 200) 2 headers in 55 bytes (1 switches on core 0)`; `micros` with `--log-micros`, and
 * ` via sendfile() ` (or route, offload) before the protocol.
 */
const UWSGI_HEAD = /^\[pid: (\d+)\|app: -?\d+\|req: \d+\/\d+\] (\S+) \(([^)]*)\) \{\d+ vars in \d+ bytes\} \[/;
const UWSGI_TAIL = /\] (\S+) (.*?) => generated (\d+) bytes in (\d+) (msecs|micros) (?:via \w+\(\) )?\(([A-Z]+)\/([\d.]+) (\d{3})\) \d+ headers in \d+ bytes \(\d+ switches on core \d+\)$/y;

/**
 * A uWSGI request line (`UWSGI_HEAD`): its worker's pid, the client, the user when there is one, the
 * request, status (severity from it), body size and response time; the time is the request's, in the
 * server's local clock (the source's time zone). The line is the body, as for other access lines.
 */
export function uwsgiRequest(line: string, ctx: ParseContext): ParsedFields | null {
  const h = UWSGI_HEAD.exec(line);
  if (!h) return null;
  const t = readTime(line, h[0].length, ctx.timeZone ?? 'UTC', ctx.now);
  if (t === undefined) return null;
  UWSGI_TAIL.lastIndex = t.end;
  const m = UWSGI_TAIL.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const a: Record<string, string> = { 'process.pid': h[1]!, 'client.address': h[2]! };
  if (h[3] !== '') a['user.name'] = h[3]!;
  a['http.request.method'] = m[1]!;
  addTarget(a, m[2]!);
  a['network.protocol.name'] = m[6]!.toLowerCase();
  a['network.protocol.version'] = m[7]!;
  a['http.response.status_code'] = m[8]!;
  a['http.response.body.size'] = m[3]!;
  a[m[5] === 'msecs' ? 'uwsgi.response_time_ms' : 'uwsgi.response_time_us'] = m[4]!;
  const out: ParsedFields = { time: t.time, body: line, attributes: a };
  setSeverity(out, statusSeverity(+m[8]!));
  return out;
}

/**
 * Squid's native access log after its stamp (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`):
 * elapsed ms, client, result code and status, bytes sent, method, URL, user, hierarchy code and peer, content type.
 */
const SQUID = /(\d+) (\S+) ([A-Z_]+)\/(\d{3}) (\d+) ([A-Z]+|-) (\S+) (\S+) ([A-Z_]+)\/(\S+) (\S+)$/y;

/** Severity from an HTTP status: 5xx ERROR, 4xx WARN, others INFO (for access lines that carry no level of their own). */
export function statusSeverity(status: number): string {
  return status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO';
}

/** Puts a level word on `out` with its OpenTelemetry number. */
export function setSeverity(out: ParsedFields, text: string): void {
  out.severityText = text;
  out.severityNumber = severityFromText(text);
}

/** A request target's path and query (`/a?b=1`) as `url.path` and `url.query`. */
export function addTarget(attributes: Record<string, string>, target: string): void {
  const q = target.indexOf('?');
  attributes['url.path'] = q === -1 ? target : target.slice(0, q);
  if (q !== -1) attributes['url.query'] = target.slice(q + 1);
}

/** A request line (`GET /a?b=1 HTTP/1.1`) as method, path, query and protocol version; anything else (`<BADREQ>`, a cut line) whole as `http.request.line`. */
export function addRequestLine(attributes: Record<string, string>, request: string): void {
  const r = REQUEST.exec(request);
  if (r) {
    attributes['http.request.method'] = r[1]!;
    addTarget(attributes, r[2]!);
    if (r[3]) attributes['network.protocol.version'] = r[3].slice(5);
  } else if (request !== '' && request !== '-') {
    attributes['http.request.line'] = request;
  }
}

/**
 * `[2026-11-24T10:00:00.123Z] "GET /api?x=1 HTTP/1.1" 200 - ...`: Envoy's default access log (and
 * Istio's, which adds fields). Only what every such layout holds is read: the request line, the status
 * (severity from it, as for the combined format) and Envoy's response flags; the body is the whole line.
 */
export function accessAfterTime(line: string, t: FoundTime, close: number): ParsedFields | null {
  ACCESS_AFTER_TIME.lastIndex = close + 1;
  const m = ACCESS_AFTER_TIME.exec(line);
  if (!m) return null;
  if (Number.isNaN(t.time)) return badTime(line);
  const attributes: Record<string, string> = { 'http.request.method': m[1]! };
  addTarget(attributes, m[2]!);
  const slash = m[3]!.indexOf('/');
  attributes['network.protocol.name'] = m[3]!.slice(0, slash).toLowerCase();
  attributes['network.protocol.version'] = m[3]!.slice(slash + 1);
  attributes['http.response.status_code'] = m[4]!;
  // Envoy's response flags are letters (`UF,URX`) or `-`; a number there is a size: Django's development
  // server (`[06/Dec/2026 06:16:31] "GET /admin/ HTTP/1.1" 302 0`) writes the response's length.
  if (DIGITS.test(m[5]!)) attributes['http.response.body.size'] = m[5]!;
  else if (m[5] !== '-') attributes['envoy.response_flags'] = m[5]!;
  const out: ParsedFields = { time: t.time, body: line, attributes };
  setSeverity(out, statusSeverity(+m[4]!));
  return out;
}

/**
 * HAProxy's HTTP log (`option httplog`) or TCP log (`option tcplog`) at `text`'s start, into `out`:
 * the client, frontend (`~`: over TLS), backend and server, the timers and the total, status, bytes,
 * termination state, connection counts and queues, captured headers and the request. Severity, unless
 * `out` has one (a syslog PRI): from the status, else WARN when the session ended abnormally (a
 * termination state not starting with `-`). Returns the accept date (ms; NaN when impossible), or
 * undefined and leaves `out` alone when the text is not such a line.
 */
export function haproxyInto(text: string, out: ParsedFields, ctx: ParseContext): number | undefined {
  HAPROXY_HEAD.lastIndex = 0;
  const m = HAPROXY_HEAD.exec(text);
  if (!m) return undefined;
  const timers = m[7]!;
  const http = timers.split('/').length === 5;
  if (http !== (m[8] !== undefined)) return undefined;
  const tail = http ? HAPROXY_HTTP_TAIL : HAPROXY_TCP_TAIL;
  tail.lastIndex = HAPROXY_HEAD.lastIndex;
  const t = tail.exec(text);
  if (!t) return undefined;
  const a = out.attributes;
  a['client.address'] = m[1]!;
  a['client.port'] = m[2]!;
  let frontend = m[4]!;
  if (frontend.endsWith('~')) {
    frontend = frontend.slice(0, -1);
    a['tls.established'] = 'true';
  }
  a['haproxy.frontend'] = frontend;
  a['haproxy.backend'] = m[5]!;
  a['haproxy.server'] = m[6]!;
  a['haproxy.timers'] = timers;
  const total = timers.slice(timers.lastIndexOf('/') + 1);
  a['haproxy.total_time_ms'] = total.charCodeAt(0) === 43 /* + */ ? total.slice(1) : total;
  const bytes = m[9]!;
  a['haproxy.bytes_read'] = bytes.charCodeAt(0) === 43 ? bytes.slice(1) : bytes;
  const status = m[8] === undefined || m[8] === '-1' ? 0 : +m[8];
  if (status !== 0) a['http.response.status_code'] = m[8]!;
  const termination = http ? t[3]! : t[1]!;
  a['haproxy.termination_state'] = termination;
  a['haproxy.connections'] = http ? t[4]! : t[2]!;
  a['haproxy.queues'] = http ? t[5]! : t[3]!;
  if (http) {
    if (t[1] !== '-') a['haproxy.captured_request_cookie'] = t[1]!;
    if (t[2] !== '-') a['haproxy.captured_response_cookie'] = t[2]!;
    if (t[6]) a['haproxy.captured_request_headers'] = t[6];
    if (t[7]) a['haproxy.captured_response_headers'] = t[7];
    if (t[8] !== undefined) addRequestLine(a, t[8]);
  }
  if (!out.severityNumber) setSeverity(out, status !== 0 ? statusSeverity(status) : termination.charCodeAt(0) !== 45 ? 'WARN' : 'INFO');
  const accepted = readTime(text, m[1]!.length + m[2]!.length + 3, ctx.timeZone ?? 'UTC', ctx.now);
  return accepted === undefined ? NaN : accepted.time;
}

/**
 * Squid's native access log (`1796278555.573     20 127.0.0.1 TCP_MISS/404 603 GET http://x/missing -
 * HIER_DIRECT/10.0.0.1 text/html`), its fields from `at` (after the stamp) as attributes, severity from
 * the status (none, `000`, for a request refused or aborted before one: WARN when the result code says
 * DENIED, ABORTED or an error); the body stays the line after its stamp. Null when the rest is not that.
 */
export function squidAccess(line: string, at: number, time: number): ParsedFields | null {
  SQUID.lastIndex = at;
  const m = SQUID.exec(line);
  if (!m) return null;
  const a: Record<string, string> = {};
  a['squid.elapsed_ms'] = m[1]!;
  a['client.address'] = m[2]!;
  a['squid.result_code'] = m[3]!;
  const status = +m[4]!;
  if (status !== 0) a['http.response.status_code'] = m[4]!;
  a['squid.bytes'] = m[5]!;
  if (m[6] !== '-') a['http.request.method'] = m[6]!;
  a['url.full'] = m[7]!;
  if (m[8] !== '-') a['user.name'] = m[8]!;
  a['squid.hierarchy'] = m[9]!;
  if (m[10] !== '-') a['squid.peer'] = m[10]!;
  if (m[11] !== '-') a['http.response.header.content-type'] = m[11]!;
  const out: ParsedFields = { time, body: line.slice(at), attributes: a };
  setSeverity(out, status !== 0 ? statusSeverity(status) : /DENIED|ABORTED|ERR/.test(m[3]!) ? 'WARN' : 'INFO');
  return out;
}

/**
 * The FTP transfer log (`xferlog`, wu-ftpd's format, written by ProFTPD, vsftpd and Pure-FTPd) after its
 * ctime stamp: `0 127.0.0.1 3 /srv/file.txt b _ o a anonymous@ ftp 0 * c` is the transfer's seconds,
 * the client, the bytes, the file, the type (ascii, binary), special actions, the direction (o out,
 * i in, d deleted), the access mode (anonymous, guest, real), the user, the service, the authentication
 * method and user id, and whether it completed (c) or not (i: a warning).
 */
const XFERLOG = /(\d+) (\S+) (\d+) (.+) ([ab]) ([CUT_]{1,3}) ([oid]) ([agr]) (\S+) (\S+) ([01]) (\S+) ([ci])$/y;
const XFER_DIRECTIONS: Readonly<Record<string, string>> = { o: 'download', i: 'upload', d: 'delete' };
const XFER_ACCESS: Readonly<Record<string, string>> = { a: 'anonymous', g: 'guest', r: 'real' };

/** An xferlog line's fields from `at` (after the stamp) as attributes; the body stays the line after its stamp. Null when the rest is not that. */
export function xferlog(line: string, at: number, time: number): ParsedFields | null {
  XFERLOG.lastIndex = at;
  const m = XFERLOG.exec(line);
  if (!m) return null;
  const a: Record<string, string> = {
    'ftp.transfer_seconds': m[1]!,
    'client.address': m[2]!,
    'ftp.bytes': m[3]!,
    'file.path': m[4]!,
    'ftp.direction': XFER_DIRECTIONS[m[7]!]!,
    'ftp.access_mode': XFER_ACCESS[m[8]!]!,
    'user.name': m[9]!,
  };
  const out: ParsedFields = { time, body: line.slice(at), attributes: a };
  setSeverity(out, m[13] === 'c' ? 'INFO' : 'WARN');
  return out;
}

/** A whole line of HAProxy's log as its container image writes it (`log stdout format raw`): the accept date is the time; null when the line is not one. */
export function haproxyLine(line: string, ctx: ParseContext): ParsedFields | null {
  const out: ParsedFields = { body: line, attributes: {} };
  const time = haproxyInto(line, out, ctx);
  if (time === undefined) return null;
  if (Number.isNaN(time)) return badTime(line);
  out.time = time;
  return out;
}

/**
 * An access line in the message of a record whose header a parser read (its level, maybe a stamp):
 * uvicorn's (`127.0.0.1:54321 - "GET / HTTP/1.1" 200 OK`) or CoreDNS's query log. The client, the
 * request and its outcome become attributes; the body and the program's own level stay.
 */
export function accessInBody(r: ParsedFields): void {
  const body = r.body;
  const c = body.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 58 || c === 91) || r.severityNumber === undefined) return;
  const a = r.attributes;
  const m = UVICORN.exec(body);
  if (m) {
    a['client.address'] = m[1]!;
    a['client.port'] = m[2]!;
    a['http.request.method'] = m[3]!;
    addTarget(a, m[4]!);
    a['network.protocol.version'] = m[5]!;
    a['http.response.status_code'] = m[6]!;
    return;
  }
  const d = COREDNS.exec(body);
  if (d) {
    const remote = d[1]!;
    a['client.address'] = remote.charCodeAt(0) === 91 ? remote.slice(1, -1) : remote;
    a['client.port'] = d[2]!;
    a['dns.id'] = d[3]!;
    a['dns.question.type'] = d[4]!;
    a['dns.question.class'] = d[5]!;
    a['dns.question.name'] = d[6]!;
    a['network.transport'] = d[7]!;
    a['dns.response_code'] = d[11]!;
    if (d[12] !== '') a['dns.header_flags'] = d[12]!;
    a['coredns.response_size'] = d[13]!;
    a['coredns.duration_s'] = d[14]!;
  }
}

/**
 * A line of an access log's server that is no request (`127.0.0.1 - - [02/Dec/2026 15:31:54] code 404,
 * message File not found`, Python's http.server and werkzeug): the client and the time read, the rest
 * the body; `code N` gives the status and its severity. Null for any other line.
 */
export function accessMessage(line: string, ctx: ParseContext): ParsedFields | null {
  const m = ACCESS_MESSAGE.exec(line);
  if (!m) return null;
  const time = parseApacheTime(m[3]!, ctx.timeZone ?? 'UTC');
  if (time === undefined) return null;
  const out: ParsedFields = { body: m[4]!, attributes: {}, time };
  if (m[1] !== '-') out.attributes['client.address'] = m[1]!;
  if (m[2] !== '-') out.attributes['user.name'] = m[2]!;
  const code = HTTP_SERVER_ERROR.exec(m[4]!);
  if (code) {
    out.attributes['http.response.status_code'] = code[1]!;
    setSeverity(out, statusSeverity(+code[1]!));
  }
  return out;
}

/**
 * nginx's request context after an error's message (`open() "/x" failed (2: No such file or directory),
 * client: 127.0.0.1, server: , request: "GET /x HTTP/1.1", upstream: "http://10.0.0.2:80/x", host:
 * "example.com", referrer: "https://a/"`): each key an attribute (the request as method, path, query and
 * protocol version), the message alone the body. Left alone when the context does not read to its end.
 */
export function nginxErrorContext(r: ParsedFields): void {
  const body = r.body;
  const at = body.indexOf(', client: ');
  if (at === -1) return;
  const found: Array<[string, string]> = [];
  NGINX_CONTEXT.lastIndex = at + 2;
  while (NGINX_CONTEXT.lastIndex < body.length) {
    const m = NGINX_CONTEXT.exec(body);
    if (!m) return;
    const v = m[2]!;
    found.push([m[1]!, v.charCodeAt(0) === 34 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v]);
  }
  const a = r.attributes;
  for (const [k, v] of found) {
    if (v === '') continue;
    if (k === 'client') a['client.address'] = v;
    else if (k === 'server') a['nginx.server_name'] = v;
    else if (k === 'request') addRequestLine(a, v);
    else if (k === 'host') a['http.request.header.host'] = v;
    else if (k === 'referrer' || k === 'referer') a['http.request.header.referer'] = v;
    else a[`nginx.${k}`] = v;
  }
  r.body = body.slice(0, at);
}

/** One of nginx's `$upstream_*` values: `-`, one, or one per upstream tried (`10.0.0.5:80, 10.0.0.6:80`). */
const UPSTREAM_LIST = '(-|[^\\s,]+(?:, [^\\s,]+)*)';
/**
 * What ingress-nginx's default `log-format-upstream` writes after the combined format's fields:
 * `$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr
 * $upstream_response_length $upstream_response_time $upstream_status $req_id`.
 */
const INGRESS_NGINX = new RegExp(`^(\\d+) (\\d+(?:\\.\\d+)?) \\[([^\\]\\s]*)\\] \\[([^\\]\\s]*)\\] ${UPSTREAM_LIST} ${UPSTREAM_LIST} ${UPSTREAM_LIST} ${UPSTREAM_LIST} ([0-9a-f]{32})$`);

/**
 * ingress-nginx's fields after an access line's combined part (the Kubernetes controller's default
 * access log) into `attributes`; false when `extra` is not that. The request's size is OpenTelemetry's
 * `http.request.size`; the rest keep nginx's variable names under `nginx.` (times in seconds, lists of
 * upstreams tried as written).
 */
export function ingressNginx(extra: string, attributes: Record<string, string>): boolean {
  const m = INGRESS_NGINX.exec(extra);
  if (m === null) return false;
  attributes['http.request.size'] = m[1]!;
  attributes['nginx.request_time_s'] = m[2]!;
  if (m[3] !== '' && m[3] !== '-') attributes['nginx.proxy_upstream_name'] = m[3]!;
  if (m[4] !== '' && m[4] !== '-') attributes['nginx.proxy_alternative_upstream_name'] = m[4]!;
  const upstream: Array<[string, string]> = [['nginx.upstream_addr', m[5]!], ['nginx.upstream_response_length', m[6]!], ['nginx.upstream_response_time_s', m[7]!], ['nginx.upstream_status', m[8]!]];
  for (const [key, value] of upstream) if (value !== '-') attributes[key] = value;
  attributes['nginx.request_id'] = m[9]!;
  return true;
}
