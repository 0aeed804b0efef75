/**
 * What the worker needs to know of an ONNX graph that onnxruntime's session does not say: which node
 * makes an output, the class labels a classifier carries, and a way to read the probabilities under a
 * ZipMap. Converters (skl2onnx, onnxmltools) end a classifier with `ZipMap`, whose output is a sequence
 * of maps that onnxruntime-node cannot return; the tensor it zips is what the worker scores.
 *
 * Read at the protobuf wire level (field numbers of onnx/onnx.proto), only the few fields used here:
 * ModelProto.graph (7); GraphProto.node (1), .output (12); NodeProto.input (1), .output (2),
 * .op_type (4), .attribute (5), .domain (7); AttributeProto.name (1), .ints (8), .strings (9);
 * ValueInfoProto.name (1), .type (2); TypeProto.tensor_type (1); TypeProto.Tensor.elem_type (1).
 */
import { TributaryError } from '../../../core/errors.ts';

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer-list and string-list attributes by name (the only kinds read here). */
  ints: Map<string, number[]>;
  strings: Map<string, string[]>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  outputs: string[];
}

const utf8 = new TextDecoder();

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }
  varint(): number {
    // Arithmetic, not bit operations: lengths run past 31 bits. Past 7 bytes (an int64 label, negative
    // ones take 10) a double would round, so BigInt reads those, as two's complement.
    let value = 0;
    let scale = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
      if (this.pos - start === 7) return this.bigVarint(start);
    }
  }
  private bigVarint(start: number): number {
    this.pos = start;
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.end || shift > 63n) throw new Error('truncated or overlong varint');
      const b = this.buf[this.pos++]!;
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, value));
    }
  }
  /** The next field's number and wire type, or undefined at the end. */
  tag(): { field: number; wire: number } | undefined {
    if (this.pos >= this.end) return undefined;
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t % 8 };
  }
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Error('length past the end of its message');
    this.pos += len;
    return [start, this.pos];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error('field past the end of its message');
  }
}

function readNode(buf: Uint8Array, start: number, end: number): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], ints: new Map(), strings: new Map() };
  const r = new Reader(buf, start, end);
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.wire === 2 && (t.field === 1 || t.field === 2 || t.field === 4 || t.field === 7)) {
      const [s, e] = r.bytes();
      const text = utf8.decode(buf.subarray(s, e));
      if (t.field === 1) node.inputs.push(text);
      else if (t.field === 2) node.outputs.push(text);
      else if (t.field === 4) node.opType = text;
      else node.domain = text;
    } else if (t.wire === 2 && t.field === 5) {
      const [s, e] = r.bytes();
      readAttribute(buf, s, e, node);
    } else r.skip(t.wire);
  }
  return node;
}

function readAttribute(buf: Uint8Array, start: number, end: number, node: OnnxNode): void {
  const r = new Reader(buf, start, end);
  let name = '';
  const ints: number[] = [];
  const strings: string[] = [];
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === 2) {
      const [s, e] = r.bytes();
      name = utf8.decode(buf.subarray(s, e));
    } else if (t.field === 8 && t.wire === 0) ints.push(r.varint());
    else if (t.field === 8 && t.wire === 2) {
      // Packed, as proto3 writers may send repeated integers.
      const [s, e] = r.bytes();
      const p = new Reader(buf, s, e);
      while (p.pos < e) ints.push(p.varint());
    } else if (t.field === 9 && t.wire === 2) {
      const [s, e] = r.bytes();
      strings.push(utf8.decode(buf.subarray(s, e)));
    } else r.skip(t.wire);
  }
  if (ints.length > 0) node.ints.set(name, ints);
  if (strings.length > 0) node.strings.set(name, strings);
}

/** The graph's nodes and output names; throws a plain Error when the bytes are not a model's protobuf. */
export function readGraph(model: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], outputs: [] };
  const g = graphField(model);
  const r = new Reader(model, g.start, g.end);
  for (let t = r.tag(); t; t = r.tag()) {
    if (t.field === 1 && t.wire === 2) {
      const [s, e] = r.bytes();
      graph.nodes.push(readNode(model, s, e));
    } else if (t.field === 12 && t.wire === 2) {
      const [s, e] = r.bytes();
      const v = new Reader(model, s, e);
      for (let u = v.tag(); u; u = v.tag()) {
        if (u.field === 1 && u.wire === 2) {
          const [ns, ne] = v.bytes();
          graph.outputs.push(utf8.decode(model.subarray(ns, ne)));
        } else v.skip(u.wire);
      }
    } else r.skip(t.wire);
  }
  return graph;
}

/** Where ModelProto's graph field sits: its tag's start, and its content's start and end. */
function graphField(model: Uint8Array): { tagStart: number; start: number; end: number } {
  const r = new Reader(model);
  let found: { tagStart: number; start: number; end: number } | undefined;
  for (let at = r.pos, t = r.tag(); t; at = r.pos, t = r.tag()) {
    if (t.field === 7 && t.wire === 2) {
      const [start, end] = r.bytes();
      found = { tagStart: at, start, end };
    } else r.skip(t.wire);
  }
  if (!found) throw new Error('no graph in the model');
  return found;
}

function varintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, body: Uint8Array | number[]): number[] {
  return [...varintBytes(field * 8 + 2), ...varintBytes(body.length), ...body];
}

/**
 * The model with one more graph output: the tensor `name` (made by a node of the graph), of element
 * type `elemType` (TensorProto.DataType: 1 float, 11 double). The rest of the bytes are kept as they
 * are; the graph field moves to the end of the model (protobuf does not care where a field sits).
 */
export function withGraphOutput(model: Uint8Array, name: string, elemType: number): Uint8Array {
  const g = graphField(model);
  const tensorType = lengthDelimited(1, [0x08, ...varintBytes(elemType)]);
  const valueInfo = lengthDelimited(12, [...lengthDelimited(1, new TextEncoder().encode(name)), ...lengthDelimited(2, tensorType)]);
  const graph = new Uint8Array(g.end - g.start + valueInfo.length);
  graph.set(model.subarray(g.start, g.end));
  graph.set(valueInfo, g.end - g.start);
  const head = varintBytes(7 * 8 + 2).concat(varintBytes(graph.length));
  const out = new Uint8Array(model.length - (g.end - g.tagStart) + head.length + graph.length);
  out.set(model.subarray(0, g.tagStart));
  out.set(model.subarray(g.end), g.tagStart);
  let o = g.tagStart + model.length - g.end;
  out.set(head, o);
  o += head.length;
  out.set(graph, o);
  return out;
}

/** The node that makes `name`, if any. */
export function producerOf(graph: OnnxGraph, name: string): OnnxNode | undefined {
  return graph.nodes.find((n) => n.outputs.includes(name));
}

const CLASSIFIERS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);

/**
 * The class labels, in output order, of the classifier behind `output` (a ZipMap's own labels, else
 * those of the one ai.onnx.ml classifier the output is computed from), as strings; undefined when the
 * graph does not say (a network's softmax, a graph built by hand).
 */
export function classLabels(graph: OnnxGraph, output: string): string[] | undefined {
  const labelsOf = (n: OnnxNode): string[] | undefined => {
    const s = n.strings.get('classlabels_strings');
    if (s) return s;
    const i = n.ints.get('classlabels_int64s') ?? n.ints.get('classlabels_ints');
    return i?.map(String);
  };
  const seen = new Set<string>();
  const found: OnnxNode[] = [];
  const walk = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const n = producerOf(graph, name);
    if (!n) return;
    if ((n.opType === 'ZipMap' || CLASSIFIERS.has(n.opType)) && n.domain === 'ai.onnx.ml' && labelsOf(n)) {
      found.push(n);
      return;
    }
    for (const i of n.inputs) walk(i);
  };
  walk(output);
  return found.length === 1 ? labelsOf(found[0]!) : undefined;
}

/** `graph.outputs` read from the bytes, as MODEL_INVALID naming `path` when they cannot be read. */
export function inspectModel(model: Uint8Array, path: string): OnnxGraph {
  try {
    return readGraph(model);
  } catch (err) {
    throw new TributaryError('MODEL_INVALID', `model manifest ${path}: the ONNX file cannot be read as a model (${(err as Error).message})`);
  }
}
