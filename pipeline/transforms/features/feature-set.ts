/**
 * A built-in feature set in the feature views' terms: the per-window inputs another window engine
 * aggregates (the host windows' metric readings) go in, the derived features of `views/derived.ts`
 * (the same definitions, config and checks a view in worker.yaml uses) run over them and the key's own
 * past, and the model's vector comes out in order. Adding a feature is one entry in the set's `derived`.
 */
import { TributaryError } from '../../../core/errors.ts';
import { derivedByName, type Derived, type DerivedConfig, type History } from './views/derived.ts';

export interface FeatureSetDefinition {
  name: string;
  description: string;
  /** Per-window inputs, by name; a window without one reads it as missing (null). */
  inputs: ReadonlyArray<{ name: string; description: string }>;
  /** Derived features in order, as under `views[].derived` in worker.yaml. */
  derived: readonly DerivedConfig[];
  /** The vector a model reads, in order: names of derived features, each with a `default` (never missing). */
  outputs: readonly string[];
}

export class FeatureSet {
  private readonly derived: Array<{ d: Derived; fallback: number | null }> = [];
  /** Inputs whose past the derived features read, with the most windows any of them reads. */
  readonly baselined = new Map<string, number>();

  constructor(readonly definition: FeatureSetDefinition) {
    const known = definition.inputs.map((i) => i.name);
    definition.derived.forEach((c, i) => {
      const path = `${definition.name}.derived[${i}]`;
      const def = derivedByName(c.fn);
      if (!def) throw new TributaryError('CONFIG_INVALID', `${path}.fn: unknown derived feature "${c.fn}"`);
      if (known.includes(c.name)) throw new TributaryError('CONFIG_INVALID', `${path}.name: "${c.name}" is defined twice`);
      const d = def.create(c, { known, path });
      for (const b of d.baseline) {
        if (!definition.inputs.some((x) => x.name === b.feature)) throw new TributaryError('CONFIG_INVALID', `${path}: the past of "${b.feature}" is kept only for inputs`);
        this.baselined.set(b.feature, Math.max(this.baselined.get(b.feature) ?? 0, b.history));
      }
      this.derived.push({ d, fallback: c.default ?? null });
      known.push(c.name);
    });
    for (const o of definition.outputs) {
      const c = definition.derived.find((x) => x.name === o);
      if (!c || c.default === undefined) throw new TributaryError('CONFIG_INVALID', `${definition.name}.outputs: "${o}" must be a derived feature with a default`);
    }
  }

  /** The output vector of one window: `inputs` by name (missing: null or absent), `past` the key's previous windows. */
  compute(inputs: Readonly<Record<string, number | null | undefined>>, past: History): number[] {
    const values = new Map<string, number | null>();
    for (const i of this.definition.inputs) values.set(i.name, inputs[i.name] ?? null);
    const valueOf = (name: string): number | null => values.get(name) ?? null;
    for (const { d, fallback } of this.derived) {
      const x = d.compute(valueOf, past);
      // As in the view engine: a value that cannot be computed is the stated default, never NaN.
      values.set(d.name, x === null || !Number.isFinite(x) ? fallback : x);
    }
    return this.definition.outputs.map((o) => values.get(o)!);
  }
}
