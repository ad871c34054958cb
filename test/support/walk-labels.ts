/** Tests write paths as the labels a reader sees; this walks one (undefined if a label is not enabled when its turn comes). */
import type { SystemConfig } from '../../src/system/system.js';
import { walk, type Walk } from '../../src/system/walk.js';

export function walkLabels(config: SystemConfig, labels: readonly string[]): Walk | undefined {
  return walk(config, (enabled, at) => (at === labels.length ? null : enabled.find((s) => s.label === labels[at])));
}
