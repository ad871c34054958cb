/** A judge of shares that finds nothing: for tests that pack states without checking properties. */
import type { ShareJudge } from '../../src/packed/packed.js';

export const NO_SHARE_JUDGE: ShareJudge<never> = {
  step: () => undefined,
  lone: () => false,
  projection: () => '',
};
