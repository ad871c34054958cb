/**
 * The property catalogue, in the order reports print it.
 */
import { UsageError } from '../src/errors.js';
import { boundedOutstanding } from './bounded-outstanding.js';
import { guestAtomicity } from './guest-atomicity.js';
import { injectionContext } from './injection-context.js';
import { noDummyLeak } from './no-dummy-leak.js';
import { noDoubleInjection } from './no-double-injection.js';
import { noLostWakeup } from './no-lost-wakeup.js';
import { noOrphanPageReady } from './no-orphan-page-ready.js';
import { noSelfDeadlock } from './no-self-deadlock.js';
import { noStaleWrite } from './no-stale-write.js';
import { noStuckGuest } from './no-stuck-guest.js';
import { singleSlot } from './single-slot.js';
import { tokenUnique } from './token-unique.js';
import type { LivenessProperty, Property, PropertyId, SafetyProperty } from './types.js';
import { workLifetime } from './work-lifetime.js';

export type { LivenessProperty, Property, PropertyId, SafetyProperty } from './types.js';

export const PROPERTIES: readonly Property[] = [
  noLostWakeup,
  noDoubleInjection,
  noStuckGuest,
  noOrphanPageReady,
  singleSlot,
  injectionContext,
  boundedOutstanding,
  tokenUnique,
  workLifetime,
  noStaleWrite,
  guestAtomicity,
  noSelfDeadlock,
  noDummyLeak,
];

export const SAFETY: readonly SafetyProperty[] = PROPERTIES.filter((p): p is SafetyProperty => p.kind === 'safety');
export const LIVENESS: readonly LivenessProperty[] = PROPERTIES.filter((p): p is LivenessProperty => p.kind === 'liveness');

/** Looks up a property; throws a UsageError naming the valid ids. */
export function propertyById(id: string): Property {
  const found = PROPERTIES.find((p) => p.id === id);
  if (found === undefined) {
    throw new UsageError(`unknown property '${id}': valid properties are ${PROPERTIES.map((p) => p.id).join(', ')}`);
  }
  return found;
}

/**
 * The safety properties that report a guest's death (they read its panic cause): a path ends where a guest dies, and
 * the liveness properties leave such a state to these, so a check without them leaves those paths unjudged.
 */
export const DEATH_REPORTERS: readonly PropertyId[] = ['single-slot', 'injection-context', 'no-self-deadlock', 'no-dummy-leak'];
