/**
 * A kafkajs consumer that follows its group's coordinator when it moves. kafkajs 2.2.4 (unmaintained)
 * looks the coordinator up only when it joins the group, and keeps that broker for the whole
 * generation: when the broker dies, heartbeats fail until the fetch loop's retries run out and the
 * consumer crashes and restarts (a minute and more), and offset commits retry against the dead broker
 * by node id for as long (`findBroker`, never `FindCoordinator`); when the broker lives but handed
 * the group on (a leader move of its `__consumer_offsets` partition), commits keep getting
 * NOT_COORDINATOR until the next rejoin. With the coordinator of a 3-broker cluster killed and kept
 * down, no commit got through within 40 s without this (test/core/kafka/group-coordinator.test.ts).
 *
 * What the Java client does instead, done here: a request to the coordinator that fails because the
 * connection is gone or the broker says it is not (or no longer) the coordinator marks it unknown,
 * and the next request looks it up again (`FindCoordinator`, which any live broker answers). A
 * heartbeat is sent again at once to the coordinator found, so a member the group still knows goes on
 * without a rebalance; what the new coordinator answers (a rebalance under way, an unknown member) is
 * handled by kafkajs as before. Installed once, by `createKafka`; nothing else of kafkajs changes.
 */
import { createRequire } from 'node:module';

interface Broker {
  isConnected(): boolean;
}

interface Cluster {
  findGroupCoordinator(o: { groupId: string }): Promise<Broker>;
}

interface CoordinatorHolder {
  cluster: Cluster;
  groupId: string;
  coordinator: Broker;
}

type Method = (this: CoordinatorHolder, ...args: unknown[]) => Promise<unknown>;

const require = createRequire(import.meta.url);
const STALE = Symbol('tributary.coordinatorStale');

/** Connection-level failures: the coordinator's broker is gone, or hangs. */
const CONNECTION_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);
/** What a live broker answers when it is not the group's coordinator (any more, or not yet). */
const MOVED = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE']);

/** Whether an error from a request to the coordinator means it must be looked up again. */
export function coordinatorLost(err: unknown): boolean {
  const e = err as { name?: string; type?: string; cause?: unknown } | undefined;
  if (!e) return false;
  if ((e.name !== undefined && CONNECTION_ERRORS.has(e.name)) || (e.type !== undefined && MOVED.has(e.type))) return true;
  // The broker wraps a failed send in KafkaJSNonRetriableError / KafkaJSNumberOfRetriesExceeded with the cause.
  return e.cause !== undefined && e.cause !== err && coordinatorLost(e.cause);
}

let installed = false;

/** Makes kafkajs consumers look their group coordinator up again when it is lost (idempotent). */
export function followGroupCoordinator(): void {
  if (installed) return;
  const OffsetManager = require('kafkajs/src/consumer/offsetManager/index.js') as { prototype: Record<string, Method> };
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: Record<string, Method> };
  const om = OffsetManager.prototype;
  const cg = ConsumerGroup.prototype;
  const wrapped = ['commitOffsets', 'setDefaultOffset', 'seek', 'resolveOffsets'];
  for (const [name, proto, what] of [['getCoordinator', om, 'OffsetManager'], ['heartbeat', cg, 'ConsumerGroup'], ...wrapped.map((n) => [n, om, 'OffsetManager'] as const)] as const) {
    if (typeof proto[name] !== 'function') throw new Error(`kafkajs's ${what} has no ${name}: the coordinator fix in core/kafka/group-coordinator.ts no longer fits this kafkajs`);
  }
  installed = true;

  // Offset commits and fetches: look the coordinator up when its connection is gone or it was marked
  // stale, instead of reconnecting to the same node id.
  om.getCoordinator = async function (this: CoordinatorHolder & { [STALE]?: boolean }) {
    if (this[STALE] || !this.coordinator.isConnected()) {
      this.coordinator = await this.cluster.findGroupCoordinator({ groupId: this.groupId });
      this[STALE] = false;
    }
    return this.coordinator;
  };
  for (const name of wrapped) {
    const original = om[name]!;
    om[name] = async function (this: CoordinatorHolder & { [STALE]?: boolean }, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } catch (err) {
        // The caller (kafkajs's retrier, or ours) tries again; that try asks FindCoordinator first.
        if (coordinatorLost(err)) this[STALE] = true;
        throw err;
      }
    };
  }

  // Heartbeats: on a lost coordinator, find the current one and send the heartbeat again to it.
  const heartbeat = cg.heartbeat!;
  cg.heartbeat = async function (this: CoordinatorHolder & { offsetManager?: { [STALE]?: boolean } }, ...args: unknown[]) {
    try {
      return await heartbeat.apply(this, args);
    } catch (err) {
      if (!coordinatorLost(err)) throw err;
      this.coordinator = await this.cluster.findGroupCoordinator({ groupId: this.groupId });
      if (this.offsetManager) this.offsetManager[STALE] = true;
      return await heartbeat.apply(this, args);
    }
  };
}
