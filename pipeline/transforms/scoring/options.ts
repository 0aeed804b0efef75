/**
 * Options of the scorer, with each field's description and default beside it: the schema the worker's
 * config validator and the docs read. In YAML: `scoring: { models: [{ manifest: ... }], watch: true }`.
 */
import { Ajv } from 'ajv';
import { TributaryError } from '../../../core/errors.ts';
import { type ScoringConfig } from './scorer.ts';

export const scoringSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['models'],
  properties: {
    models: {
      type: 'array',
      description:
        'The models that score windows, one entry per model; a row is scored by the first model whose kind and ' +
        'window sizes match it. Adding a model is adding a line here.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['manifest'],
        properties: {
          manifest: { type: 'string', minLength: 1, description: 'Path of the model manifest (JSON); the ONNX file is named in it, relative to it.' },
          shadow: { type: 'boolean', description: 'Score and store without raising anomalies or filling the window row.' },
        },
      },
    },
    watch: { type: 'boolean', default: true, description: 'Reload a model when its manifest or ONNX file changes.' },
    reloadDebounceMs: { type: 'integer', minimum: 0, default: 200, description: 'Quiet time after the last file event before a reload, in ms.' },
    anyWindowSize: { type: 'boolean', default: false, description: 'Score windows of any size, not only the sizes each model was trained for.' },
    topFeatures: { type: 'integer', minimum: 1, default: 3, description: 'Features named in an anomaly row, most unusual first.' },
  },
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

/** Checks scoring options; throws CONFIG_INVALID naming the key and its path. */
export function validateScoringConfig(config: unknown, path = 'scoring'): ScoringConfig {
  validate ??= new Ajv({ allErrors: true, strict: true }).compile(scoringSchema);
  if (!validate(config)) {
    const e = validate.errors![0]!;
    const where = `${path}${e.instancePath.replaceAll('/', '.')}`;
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    throw new TributaryError('CONFIG_INVALID', `${where}: ${e.message}${extra}`);
  }
  return config as ScoringConfig;
}
