// Each alert rule's query, evaluated at the end of the data as Grafana would (backend macros only,
// the rule's relative range): over the threshold for exactly the services (or workers) hit by the
// injected incident, under it for all the others, and under it everywhere on quiet data.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { ALERTS, type AlertSpec, alertingProvisioning, WEBHOOK_URL_ENV } from '../../dashboards/alerts.ts';
import { panelIndex } from '../../dashboards/index.ts';
import { expandAlertQuery } from '../../dashboards/macros.ts';
import { type Store } from '../../core/storage/store.ts';
import { END_MS, INCIDENTS, openTestStore, seedDatabase } from '../helpers/dashboard-data.ts';

// chDB allows one data folder per process: the two workloads live in two databases of one store.
let handle: Awaited<ReturnType<typeof openTestStore>>;
let store: Store;
const incident = 'incident';
const quiet = 'quiet';

before(async () => {
  handle = await openTestStore();
  store = handle.store;
  await seedDatabase(store, incident, { incidents: true });
  await seedDatabase(store, quiet, { incidents: false });
});

after(async () => {
  await handle?.close();
});

/** Who must fire on the incident data, as `label=value,...` keys. */
const EXPECTED: Record<string, string[]> = {
  // Both the error burst and the silence are labelled incidents, so the stand-in model scores them high.
  'tributary-anomaly-score': [`service=${INCIDENTS.errorBurst.service},window_size_s=60`, `service=${INCIDENTS.silent.service},window_size_s=60`],
  'tributary-error-ratio-spike': [`service=${INCIDENTS.errorBurst.service}`],
  'tributary-service-silent': [`service=${INCIDENTS.silent.service}`],
  'tributary-dlq-growing': [`stage=${INCIDENTS.dlq.stage},instance=${INCIDENTS.dlq.instance}`],
  'tributary-consumer-lag': [`instance=${INCIDENTS.lag.instance}`],
  'tributary-records-deleted-unread': [`instance=${INCIDENTS.deletedUnread.instance}`],
  'tributary-scrape-target-down': [`service=${INCIDENTS.scrapeDown.service},job=${INCIDENTS.scrapeDown.job},instance=${INCIDENTS.scrapeDown.instance}`],
};

interface Evaluated {
  key: string;
  value: number;
}

async function evaluate(database: string, spec: AlertSpec, atMs = END_MS): Promise<Evaluated[]> {
  await store.command(`USE ${database}`);
  const to = new Date(atMs);
  const from = new Date(atMs - spec.rangeSeconds * 1000);
  // Grafana's alert queries run with intervalMs 1000 unless the rule says otherwise.
  const sql = expandAlertQuery(spec.sql, { from, to, intervalSeconds: 1 });
  const columns = await store.query<{ name: string; type: string }>(`DESCRIBE TABLE (${sql})`);
  assert.deepEqual(columns.map((c) => c.name), [...spec.labels, 'value'], `${spec.uid}: label columns then value`);
  for (const c of columns.slice(0, -1)) assert.match(c.type, /String/, `${spec.uid}: label ${c.name} is a string`);
  assert.match(columns.at(-1)!.type, /^(U?Int|Float)/, `${spec.uid}: value is a number`);
  const rows = await store.query<Record<string, string | number>>(sql);
  return rows.map((r) => ({ key: spec.labels.map((l) => `${l}=${r[l]}`).join(','), value: Number(r.value) }));
}

function fires(spec: AlertSpec, value: number): boolean {
  return spec.comparison === 'gt' ? value > spec.threshold : spec.comparison === 'gte' ? value >= spec.threshold : value < spec.threshold;
}

test('there is a rule for each condition the issue names', () => {
  assert.deepEqual(ALERTS.map((a) => a.uid).sort(), Object.keys(EXPECTED).sort());
});

for (const spec of ALERTS) {
  test(`${spec.title}: fires for the affected ${spec.labels[0]} only`, async () => {
    const results = await evaluate(incident, spec);
    assert.ok(results.length > 1, `${spec.uid}: returned ${results.length} rows; a rule must see the healthy ones too`);
    const firing = results.filter((r) => fires(spec, r.value)).map((r) => r.key).sort();
    assert.deepEqual(firing, [...EXPECTED[spec.uid]!].sort(), `${spec.uid}: ${JSON.stringify(results)}`);
  });

  test(`${spec.title}: stays quiet on data without incidents`, async () => {
    const results = await evaluate(quiet, spec);
    assert.ok(results.length > 1, `${spec.uid}: returned ${results.length} rows`);
    const firing = results.filter((r) => fires(spec, r.value));
    assert.deepEqual(firing, [], `${spec.uid}: ${JSON.stringify(results)}`);
  });
}

test('before the incidents started, no rule fires on the incident data', async () => {
  const at = INCIDENTS.silent.startMs - 60_000;
  for (const spec of ALERTS) {
    const firing = (await evaluate(incident, spec, at)).filter((r) => fires(spec, r.value));
    assert.deepEqual(firing, [], spec.uid);
  }
});

test('the provisioning document links every rule to its dashboard panel and routes it to the webhook', () => {
  const doc = parse(JSON.stringify(alertingProvisioning(panelIndex()))) as {
    groups: Array<{ rules: Array<{ uid: string; dashboardUid: string; panelId: number; annotations: Record<string, string>; condition: string; data: Array<{ refId: string; model: { rawSql?: string } }>; notification_settings: { receiver: string } }> }>;
    contactPoints: Array<{ receivers: Array<{ type: string; settings: { url: string } }> }>;
  };
  const rules = doc.groups[0]!.rules;
  assert.equal(rules.length, ALERTS.length);
  for (const r of rules) {
    assert.ok(r.panelId > 0, r.uid);
    assert.ok(r.dashboardUid.startsWith('tributary-'), r.uid);
    assert.match(r.annotations.summary!, /\{\{ \$labels\.(service|instance) \}\}/, `${r.uid}: the summary names the service or worker`);
    assert.match(r.annotations.description!, /\/d\/tributary-/, `${r.uid}: the description links to a dashboard`);
    assert.equal(r.condition, 'B');
    assert.equal(r.data[0]!.model.rawSql, ALERTS.find((a) => a.uid === r.uid)!.sql.replace(/^\n+|\s+$/g, '').split('\n').map((l) => l.replace(/^ {6}/, '')).join('\n'));
    assert.equal(r.notification_settings.receiver, 'tributary-webhook');
  }
  const receiver = doc.contactPoints[0]!.receivers[0]!;
  assert.equal(receiver.type, 'webhook');
  assert.equal(receiver.settings.url, `\${${WEBHOOK_URL_ENV}}`);
});
