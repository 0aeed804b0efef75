/**
 * The header fields of particular programs (agents/transforms/parsers/program-headers.ts), read through
 * the `auto` parser as the agent reads them: log4net's numbered threads, Telegraf's levels, cloud-init's
 * and Salt's layouts, BIND's category and severity, Icinga 2's `level/Facility:`, Solr's MDC; and the
 * lines that only look like them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, ctx, parse } from '../../../helpers/parse-cases.ts';

test("log4net's layouts (a numbered thread, `(null)` for an NDC it has not), Telegraf's `E!` levels; a pid in the same place stays a pid", () => {
  check('log4net', [
    // `%date [%thread] %-5level %logger [%property{NDC}] - %message%newline` (log4net's config examples).
    ['2026-11-24 10:00:00,123 [1] INFO  MyApp.Program [(null)] - Application starting', { time: '2026-11-24T10:00:00.123Z', level: 'INFO', body: 'Application starting', attributes: { 'thread.id': '1', 'process.pid': undefined, 'log.logger': 'MyApp.Program', 'thread.name': undefined, 'log.header': undefined } }],
    ['2026-11-24 10:00:00,456 [12] ERROR MyApp.Data.Repository [(null)] - Could not connect', { level: 'ERROR', body: 'Could not connect', attributes: { 'thread.id': '12', 'log.logger': 'MyApp.Data.Repository' } }],
    ['2026-11-24 10:00:00,789 [7] WARN  MyApp.Jobs.Cleanup [req-42] - Slow sweep', { level: 'WARN', body: 'Slow sweep', attributes: { 'thread.id': '7', 'log.logger': 'MyApp.Jobs.Cleanup' } }],
    // `%date [%thread] %-5level %logger - %message%newline`, and a named thread.
    ['2026-11-24 10:00:01,001 [1] DEBUG MyApp.Program - no NDC column', { level: 'DEBUG', body: 'no NDC column', attributes: { 'thread.id': '1', 'log.logger': 'MyApp.Program' } }],
    ['2026-11-24 10:00:01,002 [Worker-3] INFO  MyApp.Jobs.Cleanup - named', { body: 'named', attributes: { 'thread.name': 'Worker-3', 'thread.id': undefined } }],
  ]);
  check('pids', [
    // A Python module's lower-case logger, PostgreSQL's level with a colon, gunicorn's bracketed level: pids.
    ['2026-11-24 10:00:00,123 [4242] INFO app.orders - placed', { level: 'INFO', body: 'placed', attributes: { 'process.pid': '4242', 'thread.id': undefined, 'log.logger': 'app.orders' } }],
    ['2026-11-24 10:00:00.123 UTC [4242] LOG:  checkpoint starting: time', { level: 'LOG', attributes: { 'process.pid': '4242', 'thread.id': undefined }, body: 'checkpoint starting: time' }],
    ['[2026-11-24 10:00:00 +0000] [4242] [INFO] Booting worker with pid: 4243', { level: 'INFO', attributes: { 'process.pid': '4242', 'thread.id': undefined }, body: 'Booting worker with pid: 4243' }],
  ]);
  check('telegraf', [
    ['2026-11-24T10:00:00Z I! Starting Telegraf 1.28.0', { time: '2026-11-24T10:00:00.000Z', level: 'INFO', number: 9, body: 'Starting Telegraf 1.28.0' }],
    ['2026-11-24T10:00:05Z E! [outputs.influxdb] When writing to [http://localhost:8086]: connection refused', { level: 'ERROR', number: 17, body: 'When writing to [http://localhost:8086]: connection refused', attributes: { 'log.logger': 'outputs.influxdb' } }],
    ['2026-11-24T10:00:06Z W! [agent] Collection took longer than expected', { level: 'WARN', number: 13, body: 'Collection took longer than expected', attributes: { 'log.logger': 'agent' } }],
    ['2026-11-24T10:00:07Z D! [outputs.file] Wrote batch of 2 metrics in 12µs', { level: 'DEBUG', number: 5, body: 'Wrote batch of 2 metrics in 12µs' }],
  ]);
  // Not a level: `E!` inside a message, or without a time before it.
  assert.equal(parse('2026-11-24T10:00:00Z INFO got E! from the device', ctx).severityText, 'INFO');
  assert.equal(parse('E! not after a time', ctx).severityText, undefined);
});

test("host tools' Python layouts: certbot's `stamp:LEVEL:logger:`, cloud-init's `file.py[LEVEL]:`, Salt's `[logger :line][LEVEL][pid]`, fail2ban's", () => {
  check('certbot', [
    ['2026-12-06 06:20:47,684:ERROR:certbot._internal.log:An unexpected error occurred:', { time: '2026-12-06T06:20:47.684Z', level: 'ERROR', number: 17, body: 'An unexpected error occurred:', attributes: { 'log.logger': 'certbot._internal.log' } }],
    ['2026-12-06 06:20:47,684:WARNING:root:disk at 91%', { level: 'WARNING', body: 'disk at 91%', attributes: { 'log.logger': 'root' } }],
    // No logger column (`%(asctime)s:%(levelname)s:%(message)s`): the message after the level.
    ['2026-12-06 06:20:47,684:INFO:starting up now: 3 workers', { level: 'INFO', body: 'starting up now: 3 workers', attributes: { 'log.logger': undefined } }],
  ]);
  // `ERRORS` is no level; nor is a word that is none: the line as other stamped lines are read.
  assert.equal(parse('2026-12-06 06:20:47,684:Something:else', ctx).severityText, undefined);
  check('cloud-init', [
    ["2026-12-06 06:16:31,123 - util.py[DEBUG]: Cloud-init v. 23.1 running 'init-local' at Sun, 06 Dec 2026 06:16:31 +0000. Up 3.12 seconds.", { time: '2026-12-06T06:16:31.123Z', level: 'DEBUG', body: "Cloud-init v. 23.1 running 'init-local' at Sun, 06 Dec 2026 06:16:31 +0000. Up 3.12 seconds.", attributes: { 'code.file.path': 'util.py' } }],
    ["2026-12-06 06:16:31,124 - url_helper.py[WARNING]: Calling 'http://169.254.169.254/latest/api/token' failed [0/1s]: request error", { level: 'WARNING', number: 13, body: "Calling 'http://169.254.169.254/latest/api/token' failed [0/1s]: request error", attributes: { 'code.file.path': 'url_helper.py' } }],
    ['2026-12-06 06:16:31,125 - cc_apt[INFO]: sources written', { level: 'INFO', body: 'sources written', attributes: { 'log.logger': 'cc_apt' } }],
  ]);
  check('salt', [
    ["2026-12-06 06:16:31,123 [salt.minion      :1234][INFO    ][5678] Minion is starting as user 'root'", { time: '2026-12-06T06:16:31.123Z', level: 'INFO', body: "Minion is starting as user 'root'", attributes: { 'log.logger': 'salt.minion', 'code.line.number': '1234', 'process.pid': '5678' } }],
    ['2026-12-06 06:16:32,000 [salt.utils.process:962 ][ERROR   ][5678] An un-handled exception was caught', { level: 'ERROR', body: 'An un-handled exception was caught', attributes: { 'log.logger': 'salt.utils.process', 'code.line.number': '962' } }],
  ]);
  check('fail2ban', [
    ['2026-12-06 06:16:31,123 fail2ban.server         [1234]: INFO    Starting Fail2ban v1.0.2', { level: 'INFO', body: 'Starting Fail2ban v1.0.2', attributes: { 'log.logger': 'fail2ban.server', 'process.pid': '1234' } }],
  ]);
});

test("BIND's category and severity after its stamp; a word starting with z after a clock is no Zulu zone", () => {
  check('bind', [
    ['06-Dec-2026 06:26:57.277 zoneload: error: zone broken.test/IN: not loaded due to errors.', { time: '2026-12-06T06:26:57.277Z', level: 'ERROR', body: 'zone broken.test/IN: not loaded due to errors.', attributes: { 'log.logger': 'zoneload' } }],
    ['06-Dec-2026 06:26:57.277 resolver: debug 3: priming', { level: 'DEBUG', body: 'priming', attributes: { 'log.logger': 'resolver' } }],
    ['06-Dec-2026 06:27:00.293 query-errors: info: client @0x7f 127.0.0.1#48464 (google.com): query failed (REFUSED)', { level: 'INFO', attributes: { 'log.logger': 'query-errors' }, body: 'client @0x7f 127.0.0.1#48464 (google.com): query failed (REFUSED)' }],
  ]);
  // The clock is followed by a word that starts with z or Z: no zone, the word is the message's.
  assert.equal(new Date(parse('2026-12-06 06:16:31 zebra crossing', ctx).time!).toISOString(), '2026-12-06T06:16:31.000Z');
  assert.equal(parse('2026-12-06 06:16:31 zebra crossing', ctx).body, 'zebra crossing');
  assert.equal(parse('2026-12-06T06:16:31Z Zookeeper up', ctx).body, 'Zookeeper up');
  // A category that is no category (`note:`), or no severity after it: the message keeps it.
  assert.equal(parse('2026-12-06 06:16:31 note: nothing here', ctx).attributes['log.logger'], undefined);
});

test("Icinga 2's `level/Facility:` after its stamp; a path or a ratio after a stamp is none", () => {
  check('icinga2', [
    ['[2026-12-06 06:32:19 +0000] information/ConfigItem: Committing config item(s).', { time: '2026-12-06T06:32:19.000Z', level: 'INFORMATION', number: 9, body: 'Committing config item(s).', attributes: { 'log.logger': 'ConfigItem' } }],
    ['[2026-12-06 06:32:20 +0100] warning/ApiListener: Cannot connect to master.', { time: '2026-12-06T05:32:20.000Z', level: 'WARNING', body: 'Cannot connect to master.', attributes: { 'log.logger': 'ApiListener' } }],
    ['[2026-12-06 06:32:21 +0000] notice/CheckerComponent: Pending checkables: 0', { level: 'NOTICE', body: 'Pending checkables: 0', attributes: { 'log.logger': 'CheckerComponent' } }],
  ]);
  assert.equal(parse('2026-12-06 06:32:19 usr/lib: missing', ctx).severityText, undefined);
  assert.equal(parse('2026-12-06 06:32:19 errors/total: 3/4', ctx).attributes['log.logger'], undefined);
});

test("Solr's layout (`%-5p (%t) [MDC] %c{1.} %m`, from its log4j2.xml): the thread, the core's MDC, the logger; Home Assistant's still", () => {
  check('solr', [
    ['2026-12-06 06:16:31.123 INFO  (main) [   ] o.e.j.s.Server Started Server@5a2e4553{STARTING}[10.0.20] @1234ms', { time: '2026-12-06T06:16:31.123Z', level: 'INFO', body: 'Started Server@5a2e4553{STARTING}[10.0.20] @1234ms', attributes: { 'thread.name': 'main', 'log.logger': 'o.e.j.s.Server' } }],
    ['2026-12-06 06:16:32.456 ERROR (qtp123-45) [c:films s:shard1 r:core_node2 x:films_shard1_replica_n1] o.a.s.h.RequestHandlerBase org.apache.solr.common.SolrException: undefined field foo', { level: 'ERROR', body: 'org.apache.solr.common.SolrException: undefined field foo', attributes: { 'thread.name': 'qtp123-45', 'log.logger': 'o.a.s.h.RequestHandlerBase', 'solr.collection': 'films', 'solr.shard': 'shard1', 'solr.replica': 'core_node2', 'solr.core': 'films_shard1_replica_n1' } }],
    ['2026-12-06 06:16:33.000 WARN  (qtp123-46) [c:films t:4bf92f3577b34da6] o.a.s.c.SolrCore slow query', { level: 'WARN', body: 'slow query', attributes: { 'solr.collection': 'films', 'log.header': 't:4bf92f3577b34da6' } }],
    ['2026-12-06 06:16:34.000 INFO (MainThread) [homeassistant.core] Starting Home Assistant', { body: 'Starting Home Assistant', attributes: { 'thread.name': 'MainThread', 'log.logger': 'homeassistant.core' } }],
  ]);
  // Parentheses and a bracket with no logger after them: the message.
  assert.equal(parse('2026-12-06 06:16:35.000 INFO (retry 2) [x] done', ctx).attributes['thread.name'], undefined);
});

test("Squid's SMP kids after its stamp (`kid3| msg`); a word that only starts alike is the message", () => {
  check('squid', [
    ['2026/12/06 09:30:01 kid3| Process Roles: coordinator', { time: '2026-12-06T09:30:01.000Z', body: 'Process Roles: coordinator', attributes: { 'squid.kid': '3' } }],
    ['2026/12/06 09:30:01 kid12| Accepting HTTP Socket connections at conn3 local=127.0.0.1:38128', { body: 'Accepting HTTP Socket connections at conn3 local=127.0.0.1:38128', attributes: { 'squid.kid': '12' } }],
    ['2026/12/06 09:30:01| pinger: ICMP socket opened.', { body: 'pinger: ICMP socket opened.', attributes: { 'squid.kid': undefined } }],
  ]);
  assert.equal(parse('2026/12/06 09:30:01 kidney| stone', ctx).attributes['squid.kid'], undefined);
  assert.equal(parse('2026/12/06 09:30:01 kid| none', ctx).attributes['squid.kid'], undefined);
});

test("vsftpd's user after its pid (`[pid 1] [ftp] OK LOGIN:`); a bracket that is no user before other words", () => {
  check('vsftpd', [
    ['Sun Dec  6 09:35:47 2026 [pid 16190] [nobodyx] FAIL LOGIN: Client "127.0.0.1"', { level: 'WARN', body: 'FAIL LOGIN: Client "127.0.0.1"', attributes: { 'process.pid': '16190', 'user.name': 'nobodyx', 'thread.name': undefined } }],
    ['Sun Dec  6 09:35:45 2026 [pid 16189] [ftp] OK DOWNLOAD: Client "127.0.0.1", "/file.txt", 6 bytes, 11.84Kbyte/sec', { level: 'INFO', body: 'OK DOWNLOAD: Client "127.0.0.1", "/file.txt", 6 bytes, 11.84Kbyte/sec', attributes: { 'user.name': 'ftp' } }],
  ]);
  // Not OK/FAIL and an action in capitals: the bracket is what it was before.
  const other = parse('2026-12-06 09:35:45 [1234] [worker] OK then: fine', ctx);
  assert.equal(other.attributes['user.name'], undefined);
});

