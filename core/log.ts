/**
 * The project's own log lines: JSON through pino, pretty-printed when stderr is a terminal.
 * Logs go to stderr so that commands can print results on stdout.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

let root: Logger | undefined;

function build(): Logger {
  const level = process.env.TRIBUTARY_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';
  const pretty = process.env.TRIBUTARY_LOG_FORMAT === 'pretty' ||
    (process.env.TRIBUTARY_LOG_FORMAT !== 'json' && process.stderr.isTTY === true);
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** The process-wide logger, created on first use. */
export function logger(): Logger {
  root ??= build();
  return root;
}

/** A child logger for one component, e.g. `log('agent.file')`. */
export function log(component: string): Logger {
  return logger().child({ component });
}

/** Writes out what the logger still buffers; call before exiting. */
export function flushLogs(): void {
  root?.flush();
}
