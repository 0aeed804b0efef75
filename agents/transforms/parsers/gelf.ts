/**
 * GELF 1.1 (Graylog Extended Log Format) messages, as Graylog's libraries (logback-gelf, graypy,
 * gelf-pro) and Docker's `gelf` log driver send them, read by the JSON parser when an object has
 * GELF's shape (`version`, `host`, `short_message`): `short_message` is the body, `timestamp` (seconds
 * with a fraction) the time, `level` a syslog severity (0 emergency to 7 debug), `host` the host that
 * wrote the message. Additional fields (`_name`) are attributes without their underscore, so
 * `_service` names the service and `_trace_id` the trace as in any JSON line; the fields Docker's
 * driver adds (`_container_name`, `_image_name`, ...) become OpenTelemetry's container attributes.
 * `full_message` (a backtrace, usually) stays an attribute.
 */
import { severityFromSyslog, severityFromValue } from '../severity.ts';
import { fieldsFromMap, setOwn, type FieldNameOptions } from './fields.ts';
import type { ParseContext, ParsedFields } from './types.ts';

/** Docker's gelf driver's fields (docs.docker.com, "Graylog Extended Format logging driver"), as OpenTelemetry names them. */
const DOCKER_FIELDS: Record<string, string> = {
  container_id: 'container.id',
  container_name: 'container.name',
  image_id: 'container.image.id',
  image_name: 'container.image.name',
  command: 'container.command',
  created: 'container.created',
};

/** GELF requires these three; a JSON line that merely has a `short_message` is not taken for GELF. */
export function isGelf(value: Record<string, unknown>): boolean {
  return typeof value.short_message === 'string' && typeof value.version === 'string' && typeof value.host === 'string';
}

const gelfNames = new WeakMap<FieldNameOptions, FieldNameOptions>();

export function gelfFields(value: Record<string, unknown>, line: string, names: FieldNameOptions, ctx: ParseContext): ParsedFields {
  let own = gelfNames.get(names);
  // The protocol names its fields: configured message or level keys would only pick a user's field instead.
  if (own === undefined) gelfNames.set(names, (own = { ...names, messageKeys: ['short_message'], levelKeys: [], timeKeys: ['timestamp'] }));
  const docker = typeof value._container_id === 'string';
  const flat: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === 'version' || key === 'host' || key === 'level') continue;
    if (key.length > 1 && key.charCodeAt(0) === 95 /* _ */) {
      const name = key.slice(1);
      setOwn(flat, (docker ? DOCKER_FIELDS[name] : undefined) ?? name, value[key]);
    } else {
      setOwn(flat, key, value[key]);
    }
  }
  const out = fieldsFromMap(flat, line, own, ctx);
  out.host = value.host as string;
  const level = value.level;
  const sev = typeof level === 'number' && Number.isInteger(level) && level >= 0 && level <= 7 ? severityFromSyslog(level) : severityFromValue(level);
  if (sev !== undefined) {
    out.severityText = sev.text;
    out.severityNumber = sev.number;
  } else if (level !== undefined) {
    out.attributes.level = String(level);
  }
  return out;
}
