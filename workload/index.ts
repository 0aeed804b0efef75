/** The workload generator's public surface: generated logs, host metrics and labelled incidents. */
export * from './generator.ts';
export { defaultServices, type ServiceProfile, type LogFormat } from './services.ts';
export { Rng } from './prng.ts';
