/**
 * Alert rules as code (Grafana unified alerting): each rule is one ClickHouse query that returns a
 * row per service (or worker) with string label columns and one numeric `value`, and a threshold
 * expression on it. Built with the foundation SDK's alerting builders, written out in Grafana's
 * file-provisioning format, with a webhook contact point whose URL comes from the environment.
 */
import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { PipelineStat } from '../core/contracts/pipeline-stats.ts';
import { ClickHouseQuery, DATASOURCE_UID, Format } from './clickhouse.ts';
import { HOSTS_UID } from './hosts.ts';
import { PIPELINE_UID } from './pipeline-health.ts';
import { SERVICE_OVERVIEW_UID } from './service-overview.ts';

export const ALERT_FOLDER = 'Tributary';
export const ALERT_GROUP = 'tributary';
export const CONTACT_POINT = 'tributary-webhook';
/** The webhook's address, read by Grafana from its environment when it provisions the contact point. */
export const WEBHOOK_URL_ENV = 'TRIBUTARY_ALERT_WEBHOOK_URL';

export type Comparison = 'gt' | 'gte' | 'lt';

/** One rule, as the tests see it: its SQL, its range, and when it fires. */
export interface AlertSpec {
  uid: string;
  title: string;
  /** What the rule answers, one line (also the README's). */
  summary: string;
  sql: string;
  /** The query's time range: the last `rangeSeconds` before evaluation. */
  rangeSeconds: number;
  /** The string columns that become the alert's labels. */
  labels: string[];
  comparison: Comparison;
  threshold: number;
  /** How long the condition must hold before the alert fires. */
  for: string;
  dashboardUid: string;
  /** Title of the panel the alert links to. */
  panelTitle: string;
  annotations: { summary: string; description: string };
}

/** Consecutive anomalous windows before the anomaly rule fires. */
export const ANOMALY_WINDOWS = 3;

export const ALERTS: AlertSpec[] = [
  {
    uid: 'tributary-anomaly-score',
    title: 'Anomaly score over threshold',
    summary: `Which services had their last ${ANOMALY_WINDOWS} scored windows all over the model's threshold?`,
    sql: `
      SELECT service, toString(window_size_s) AS window_size_s, toFloat64(countIf(score > threshold)) AS value
      FROM (
        SELECT service, window_size_s, window_start, score, threshold
        FROM service_windows FINAL
        WHERE window_start >= $__fromTime AND window_start <= $__toTime AND scored = 1
        ORDER BY window_start DESC
        LIMIT ${ANOMALY_WINDOWS} BY service, window_size_s
      )
      GROUP BY service, window_size_s
    `,
    rangeSeconds: 3600,
    labels: ['service', 'window_size_s'],
    comparison: 'gte',
    threshold: ANOMALY_WINDOWS,
    for: '0s',
    dashboardUid: SERVICE_OVERVIEW_UID,
    panelTitle: 'Anomaly score and threshold',
    annotations: {
      summary: `Service {{ $labels.service }}: anomaly score over threshold for ${ANOMALY_WINDOWS} windows in a row`,
      description:
        `The last ${ANOMALY_WINDOWS} {{ $labels.window_size_s }}s windows of {{ $labels.service }} scored over the model's threshold. ` +
        `See /d/${SERVICE_OVERVIEW_UID}?var-service={{ $labels.service }} (Service overview) for the score, and the Anomalies annotations for the features that stood out.`,
    },
  },
  {
    uid: 'tributary-error-ratio-spike',
    title: 'Error ratio spike',
    summary: 'Which services log a share of errors at least 10 points higher in the last 5 minutes than in the hour before?',
    sql: `
      SELECT service, if(recent_records >= 20, recent_errors / recent_records - base_errors / greatest(base_records, 1), 0) AS value
      FROM (
        SELECT service,
          countMergeIf(records, minute >= $__toTime - INTERVAL 5 MINUTE) AS recent_records,
          countMergeIf(records, minute >= $__toTime - INTERVAL 5 MINUTE AND level IN ('ERROR', 'FATAL')) AS recent_errors,
          countMergeIf(records, minute < $__toTime - INTERVAL 5 MINUTE) AS base_records,
          countMergeIf(records, minute < $__toTime - INTERVAL 5 MINUTE AND level IN ('ERROR', 'FATAL')) AS base_errors
        FROM logs_1m
        WHERE minute >= $__fromTime AND minute <= $__toTime
        GROUP BY service
      )
    `,
    rangeSeconds: 3900,
    labels: ['service'],
    comparison: 'gt',
    threshold: 0.1,
    for: '1m',
    dashboardUid: SERVICE_OVERVIEW_UID,
    panelTitle: 'Error ratio',
    annotations: {
      summary: 'Service {{ $labels.service }}: error ratio up by {{ humanizePercentage $values.A.Value }} in 5 minutes',
      description:
        'The share of ERROR and FATAL records of {{ $labels.service }} over the last 5 minutes is {{ humanizePercentage $values.A.Value }} above its level of the hour before ' +
        `(at least 20 records). See /d/${SERVICE_OVERVIEW_UID}?var-service={{ $labels.service }} and /d/tributary-logs?var-service={{ $labels.service }}&var-level=ERROR.`,
    },
  },
  {
    uid: 'tributary-service-silent',
    title: 'Service stopped sending',
    summary: 'Which services that logged in the last 6 hours have sent nothing for 10 minutes?',
    sql: `
      SELECT service, toFloat64(dateDiff('second', max(minute) + INTERVAL 1 MINUTE, $__toTime)) AS value
      FROM logs_1m
      WHERE minute >= $__fromTime AND minute <= $__toTime
      GROUP BY service
    `,
    rangeSeconds: 6 * 3600,
    labels: ['service'],
    comparison: 'gt',
    threshold: 600,
    for: '0s',
    dashboardUid: SERVICE_OVERVIEW_UID,
    panelTitle: 'Records per second',
    annotations: {
      summary: 'Service {{ $labels.service }} stopped sending logs {{ humanizeDuration $values.A.Value }} ago',
      description:
        'No log record from {{ $labels.service }} has been stored for {{ humanizeDuration $values.A.Value }}, though it logged in the last 6 hours. ' +
        `Check its agent and the pipeline: /d/${SERVICE_OVERVIEW_UID}?var-service={{ $labels.service }} and /d/${PIPELINE_UID}.`,
    },
  },
  {
    uid: 'tributary-dlq-growing',
    title: 'DLQ growing',
    summary: 'Is a worker stage sending records to the dead-letter topic (more than 10 in 10 minutes)?',
    sql: `
      SELECT stage, instance, sumIf(value, name = '${PipelineStat.dlqRecords}') AS value
      FROM pipeline_stats
      WHERE name IN ('${PipelineStat.dlqRecords}', '${PipelineStat.recordsIn}') AND $__timeFilter(time)
      GROUP BY stage, instance
    `,
    rangeSeconds: 600,
    labels: ['stage', 'instance'],
    comparison: 'gt',
    threshold: 10,
    for: '0s',
    dashboardUid: PIPELINE_UID,
    panelTitle: 'DLQ records',
    annotations: {
      summary: 'Worker {{ $labels.instance }}: {{ $values.A.Value }} records sent to dlq.v1 by stage {{ $labels.stage }} in 10 minutes',
      description:
        'Stage {{ $labels.stage }} of worker {{ $labels.instance }} could not handle {{ $values.A.Value }} records in the last 10 minutes and routed them to dlq.v1 ' +
        `with the reason. Read them with \`kcat -t dlq.v1\` and see /d/${PIPELINE_UID}.`,
    },
  },
  {
    uid: 'tributary-consumer-lag',
    title: 'Consumer lag too high',
    summary: 'Is a worker more than 10000 records behind the end of its partitions?',
    sql: `
      SELECT instance, argMax(value, time) AS value
      FROM pipeline_stats
      WHERE name = '${PipelineStat.consumerLag}' AND $__timeFilter(time)
      GROUP BY instance
    `,
    rangeSeconds: 300,
    labels: ['instance'],
    comparison: 'gt',
    threshold: 10000,
    for: '2m',
    dashboardUid: PIPELINE_UID,
    panelTitle: 'Consumer lag per worker',
    annotations: {
      summary: 'Worker {{ $labels.instance }} is {{ $values.A.Value }} records behind',
      description:
        'The consumer lag of worker {{ $labels.instance }} has been over 10000 records for 2 minutes: it cannot keep up. ' +
        `Add workers (partitions spread across them) or look at batch and model latency on /d/${PIPELINE_UID}.`,
    },
  },
  {
    uid: 'tributary-scrape-target-down',
    title: 'Scrape target down',
    summary: "Which Prometheus pages scraped by an agent failed their last scrape, for 2 minutes (Prometheus' up == 0)?",
    sql: `
      SELECT service, labels['job'] AS job, labels['instance'] AS instance, argMax(value, time) AS value
      FROM metrics
      WHERE name = 'up' AND kind = 'gauge' AND $__timeFilter(time)
      GROUP BY service, job, instance
    `,
    rangeSeconds: 600,
    labels: ['service', 'job', 'instance'],
    comparison: 'lt',
    threshold: 1,
    for: '2m',
    dashboardUid: HOSTS_UID,
    panelTitle: 'Scrape targets up',
    annotations: {
      summary: 'The Prometheus page {{ $labels.instance }} of {{ $labels.service }} does not answer',
      description:
        'The agent source {{ $labels.job }} could not scrape {{ $labels.instance }} for 2 minutes (its up series is 0); the agent\'s log says why (refused, timed out, HTTP status, too large). ' +
        `See /d/${HOSTS_UID}.`,
    },
  },
  {
    uid: 'tributary-records-deleted-unread',
    title: 'Records deleted before the workers read them',
    summary: 'Did Kafka delete records (retention) that the workers had not read yet, in the last hour?',
    sql: `
      SELECT instance, sumIf(value, name = '${PipelineStat.recordsDeletedUnread}') AS value
      FROM pipeline_stats
      WHERE stage = 'consume' AND name IN ('${PipelineStat.recordsDeletedUnread}', '${PipelineStat.recordsIn}') AND $__timeFilter(time)
      GROUP BY instance
    `,
    rangeSeconds: 3600,
    labels: ['instance'],
    comparison: 'gt',
    threshold: 0,
    for: '0s',
    dashboardUid: PIPELINE_UID,
    panelTitle: 'Consumer lag per worker',
    annotations: {
      summary: 'Worker {{ $labels.instance }}: Kafka deleted {{ $values.A.Value }} records before they were read',
      description:
        'Worker {{ $labels.instance }} found {{ $values.A.Value }} records in the last hour that Kafka had deleted by retention before the group read them; they never reached ClickHouse. ' +
        "Its log names the topic, partition and offsets. Time retention counts from each record's timestamp (the event time), so history shipped late can expire on arrival: " +
        `raise the topic's retention.ms or retention.bytes, or add workers if they lag (/d/${PIPELINE_UID}).`,
    },
  },
];

/** The SDK's query model for one rule's ClickHouse query, with the alerting-specific fields Grafana saves. */
class AlertQueryModel implements cog.Builder<cog.Dataquery> {
  constructor(private readonly sql: string) {}
  build(): cog.Dataquery {
    return { ...new ClickHouseQuery(this.sql, Format.Table).build(), intervalMs: 1000, maxDataPoints: 43200 } as cog.Dataquery;
  }
}

export function alertRule(spec: AlertSpec, panelIds: Record<string, Record<string, number>>): alerting.Rule {
  const rule = new alerting.RuleBuilder(spec.title)
    .uid(spec.uid)
    .condition('B')
    .withQuery(
      new alerting.QueryBuilder('A')
        .datasourceUid(DATASOURCE_UID)
        .relativeTimeRange({ from: spec.rangeSeconds, to: 0 })
        .model(new AlertQueryModel(spec.sql)),
    )
    .withQuery(
      new alerting.QueryBuilder('B')
        .datasourceUid('__expr__')
        .model(
          new expr.TypeThresholdBuilder()
            .refId('B')
            .expression('A')
            .datasource({ type: '__expr__', uid: '__expr__' })
            .conditions([{ evaluator: { type: spec.comparison, params: [spec.threshold] } }]),
        ),
    )
    .noDataState('OK')
    .execErrState('Error')
    .forDuration(spec.for)
    .labels({ team: 'tributary', rule: spec.uid.replace(/^tributary-/, '') })
    .annotations({
      summary: spec.annotations.summary,
      description: spec.annotations.description,
      __dashboardUid__: spec.dashboardUid,
      __panelId__: String(panelIds[spec.dashboardUid]?.[spec.panelTitle] ?? ''),
    })
    .notificationSettings(new alerting.NotificationSettingsBuilder().receiver(CONTACT_POINT))
    .folderUID('tributary')
    .ruleGroup(ALERT_GROUP)
    .build();
  if (!panelIds[spec.dashboardUid]?.[spec.panelTitle]) throw new Error(`alert ${spec.uid} links to a panel that does not exist: ${spec.panelTitle}`);
  return rule;
}

/** Grafana's alerting file-provisioning document: the rule group and the webhook contact point. */
export function alertingProvisioning(panelIds: Record<string, Record<string, number>>): Record<string, unknown> {
  const rules = ALERTS.map((spec) => alertRule(spec, panelIds));
  const contact = new alerting.ContactPointBuilder()
    .uid(CONTACT_POINT)
    .name(CONTACT_POINT)
    .type('webhook')
    .settings({ url: `\${${WEBHOOK_URL_ENV}}`, httpMethod: 'POST' })
    .build();
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: ALERT_GROUP,
        folder: ALERT_FOLDER,
        interval: '1m',
        rules: rules.map((r) => ({
          uid: r.uid,
          title: r.title,
          condition: r.condition,
          data: r.data,
          dashboardUid: r.annotations?.__dashboardUid__,
          panelId: Number(r.annotations?.__panelId__),
          noDataState: r.noDataState,
          execErrState: r.execErrState,
          for: r.for,
          annotations: { summary: r.annotations?.summary, description: r.annotations?.description },
          labels: r.labels,
          isPaused: false,
          notification_settings: r.notification_settings,
        })),
      },
    ],
    contactPoints: [
      {
        orgId: 1,
        name: contact.name,
        receivers: [{ uid: contact.uid, type: contact.type, settings: contact.settings, disableResolveMessage: false }],
      },
    ],
  };
}
