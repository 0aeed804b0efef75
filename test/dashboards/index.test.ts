// The generated dashboards, rules and provisioning files: committed files equal what the code
// generates, and the JSON is what Grafana and the ClickHouse plugin expect.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { DATASOURCE_UID, PLUGIN_ID, PLUGIN_VERSION } from '../../dashboards/clickhouse.ts';
import { buildDashboards, generate, stale } from '../../dashboards/index.ts';

test('the committed dashboards, rules and provisioning files equal what the code generates', () => {
  assert.deepEqual(stale(), [], 'run `npm run dashboards` and commit the result');
});

test('a generated file that was edited by hand, or is missing, is reported', () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-dashboards-'));
  try {
    const files = generate();
    for (const { path, content } of files) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    assert.deepEqual(stale(root), []);
    writeFileSync(join(root, files[0]!.path), files[0]!.content.replace('"title"', '"titel"'));
    rmSync(join(root, files.at(-1)!.path));
    assert.deepEqual(stale(root), [files[0]!.path, files.at(-1)!.path]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('generation is deterministic', () => {
  assert.deepEqual(generate(), generate());
});

test('six dashboards with distinct uids, unique panel ids, and every query on the pinned ClickHouse plugin', () => {
  const dashboards = buildDashboards();
  assert.deepEqual(dashboards.map((d) => d.dashboard.uid), [
    'tributary-service-overview', 'tributary-logs', 'tributary-patterns', 'tributary-hosts', 'tributary-pipeline-health', 'tributary-features',
  ]);
  for (const { dashboard: d } of dashboards) {
    const ids = (d.panels ?? []).map((p) => (p as { id?: number }).id);
    assert.equal(new Set(ids).size, ids.length, `${d.uid}: panel ids are unique`);
    for (const p of d.panels ?? []) {
      if (p.type === 'row') continue;
      const panel = p as { datasource?: { uid?: string }; targets?: Array<Record<string, unknown>> };
      assert.equal(panel.datasource?.uid, DATASOURCE_UID, `${d.uid} / ${p.title}`);
      assert.equal(panel.targets?.length, 1, `${d.uid} / ${p.title}`);
      const t = panel.targets![0]!;
      assert.deepEqual(t.datasource, { type: PLUGIN_ID, uid: DATASOURCE_UID });
      assert.equal(t.editorType, 'sql');
      assert.equal(t.pluginVersion, PLUGIN_VERSION);
      assert.equal(typeof t.rawSql, 'string');
      assert.equal(t.format, p.type === 'timeseries' ? 0 : p.type === 'logs' ? 2 : 1, `${d.uid} / ${p.title}: format`);
    }
  }
});

test('the provisioning files point Grafana at the generated dashboards and the read-only ClickHouse user', () => {
  const files = Object.fromEntries(generate().map((f) => [f.path, f.content]));
  const ds = parse(files['dashboards/provisioning/datasources/clickhouse.yaml']!) as { datasources: Array<Record<string, any>> };
  assert.equal(ds.datasources[0]!.uid, DATASOURCE_UID);
  assert.equal(ds.datasources[0]!.type, PLUGIN_ID);
  assert.equal(ds.datasources[0]!.jsonData.username, '${GRAFANA_CLICKHOUSE_USER}');
  assert.equal(ds.datasources[0]!.secureJsonData.password, '${GRAFANA_CLICKHOUSE_PASSWORD}');
  const providers = parse(files['dashboards/provisioning/dashboards/tributary.yaml']!) as { providers: Array<Record<string, any>> };
  assert.equal(providers.providers[0]!.options.path, '/var/lib/grafana/dashboards/tributary');
  const user = files['dashboards/provisioning/clickhouse/users.d/grafana.xml']!;
  assert.match(user, /<readonly>1<\/readonly>/);
  assert.match(user, /<password from_env="GRAFANA_CLICKHOUSE_PASSWORD"\/>/);
  assert.doesNotMatch(JSON.stringify(files), /password:\s*[^$\s"]/, 'no password is written into a generated file');
});
