// The ONNX graph reader on models skl2onnx wrote (test/fixtures/view-models/make_sklearn.py): what it
// reads is what Python's onnx package shows for the same files, and a graph output it adds is one
// onnxruntime computes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { classLabels, producerOf, readGraph, withGraphOutput } from '../../../../pipeline/transforms/scoring/onnx-graph.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/view-models');
const model = (name: string): Buffer => readFileSync(join(FIXTURES, `${name}.onnx`));

test('reads the nodes and outputs of a converted classifier', () => {
  const g = readGraph(model('sk-forest'));
  assert.deepEqual(g.outputs, ['output_label', 'output_probability']);
  // As `onnx.load(...).graph.node` lists them for this file.
  assert.deepEqual(g.nodes.slice(-3).map((n) => [n.opType, n.domain, n.inputs, n.outputs]), [
    ['TreeEnsembleClassifier', 'ai.onnx.ml', ['X'], ['label', 'probabilities']],
    ['Identity', '', ['label'], ['output_label']],
    ['ZipMap', 'ai.onnx.ml', ['probabilities'], ['output_probability']],
  ]);
  assert.equal(producerOf(g, 'output_probability')?.opType, 'ZipMap');
  assert.equal(producerOf(g, 'X'), undefined, 'an input has no producer');
});

test('class labels in output order: strings, integers, negative integers; none for a graph without a classifier', () => {
  assert.deepEqual(classLabels(readGraph(model('sk-forest')), 'output_probability'), ['high', 'low', 'mid']);
  assert.deepEqual(classLabels(readGraph(model('sk-logreg')), 'output_probability'), ['0', '1']);
  assert.deepEqual(classLabels(readGraph(model('sk-columns')), 'probabilities'), ['0', '1'], 'from the classifier itself when there is no ZipMap');
  assert.deepEqual(classLabels(readGraph(model('sk-signs')), 'output_probability'), ['-1', '1'], 'int64 -1 is a ten-byte varint');
  assert.equal(classLabels(readGraph(model('multiclass')), 'probs'), undefined);
  assert.equal(classLabels(readGraph(model('sk-ridge-double')), 'variable'), undefined);
});

test('an added graph output is computed by onnxruntime, and the rest of the model is unchanged', async () => {
  const bytes = model('sk-logreg');
  const more = withGraphOutput(bytes, 'probabilities', 1);
  const g = readGraph(more);
  assert.deepEqual(g.outputs, ['output_label', 'output_probability', 'probabilities']);
  assert.deepEqual(g.nodes, readGraph(bytes).nodes);
  const session = await ort.InferenceSession.create(more);
  try {
    assert.ok(session.outputNames.includes('probabilities'));
    const out = await session.run({ X: new ort.Tensor('float32', Float32Array.from([1, 10, 0, 40, 400, 1]), [2, 3]) }, ['probabilities', 'output_label']);
    const p = out.probabilities!.data as Float32Array;
    assert.deepEqual(out.probabilities!.dims, [2, 2]);
    for (let r = 0; r < 2; r++) {
      assert.ok(Math.abs(p[2 * r]! + p[2 * r + 1]! - 1) < 1e-6, 'a row of probabilities sums to 1');
      assert.equal(Number((out.output_label!.data as BigInt64Array)[r]), p[2 * r + 1]! > 0.5 ? 1 : 0, 'the label agrees with the probabilities');
    }
  } finally {
    await session.release();
  }
});

test('bytes that are not a model are refused with a reason, not read as an empty graph', () => {
  assert.throws(() => readGraph(Buffer.from('not a model at all')), /./);
  assert.throws(() => readGraph(model('sk-logreg').subarray(0, 200)), /past the end|truncated/);
  assert.throws(() => readGraph(new Uint8Array([0x08, 0x07])), /no graph in the model/);
});
