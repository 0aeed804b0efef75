/**
 * A record thread's body (see record-pool.ts): builds each source's records with the same builders
 * the main thread would use, encodes them for the wire (line-batch.ts) and sends them back with the counters they moved.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { createRecordBuilder, newCounters } from './record-builder.ts';
import { encodeLines, type LineBatch } from './line-batch.ts';
import { takeCounters, ThreadBuffers, type ThreadInit } from './record-pool.ts';

const init = workerData as ThreadInit;
const counters = newCounters();
const builders = init.builders.map((options) => createRecordBuilder(counters, options));
const buffers = new ThreadBuffers();

parentPort!.on('message', ({ id, batch, spares, heap }: { id: number; batch?: LineBatch; spares?: ArrayBuffer[]; heap?: true }) => {
  if (heap) {
    // `RecordPool.heaps`: this thread's V8 heap, by space.
    parentPort!.postMessage({ id, heap: Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size])) });
    return;
  }
  buffers.add(spares);
  try {
    const build = builders[batch!.builder];
    if (!build) throw new Error(`record thread: no builder ${batch!.builder}`);
    const e = encodeLines(build, batch!, init.key, init.maxRecordBytes, init.encoding, buffers.take, init.recordsPerMessage);
    parentPort!.postMessage({ id, ...e, counters: takeCounters(counters) }, [e.values, e.starts.buffer as ArrayBuffer, e.ends.buffer as ArrayBuffer, e.keyOf.buffer as ArrayBuffer, e.times.buffer as ArrayBuffer, ...(e.lines ? [e.lines.buffer as ArrayBuffer] : [])]);
  } catch (err) {
    takeCounters(counters);
    parentPort!.postMessage({ id, error: `record thread: ${(err as Error).message}` });
  }
});
