/**
 * The second minimisation pass, after fast-check's shrinking: drop steps and
 * cut context switches (actor changes between consecutive steps) while the
 * same property still fails, so the trace a reviewer reads is short and
 * switches actor as rarely as possible.
 */
import type { Judge, Violation } from '../../judge/judge.js';
import type { Step, SystemConfig } from '../../system/system.js';
import { walkSteps, type Placement, type StepId } from '../../system/walk.js';

const switches = (steps: readonly Step[]): number => steps.reduce((n, s, i) => (i > 0 && steps[i - 1]!.actor !== s.actor ? n + 1 : n), 0);

/** Shortens and straightens the path `path` (from the initial state of `placement`), keeping a violation of `target.property`. */
export function minimise(config: SystemConfig, path: readonly StepId[], target: Violation, judge: Judge, placement: Placement): { steps: StepId[]; violation: Violation } {
  const stillFails = (candidate: readonly StepId[]): Violation | undefined => {
    const walked = walkSteps(config, candidate, placement);
    const v = walked === undefined ? undefined : judge.path(walked.states);
    return v !== undefined && v.property === target.property ? v : undefined;
  };
  let best = path.slice(0, target.length);
  let bestViolation = stillFails(best) ?? target;

  // 1. drop chunks, then single steps, until nothing more can go
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    let changed = true;
    while (changed) {
      changed = false;
      for (let at = 0; at + chunk <= best.length; ) {
        const candidate = [...best.slice(0, at), ...best.slice(at + chunk)];
        const v = stillFails(candidate);
        if (v !== undefined) {
          best = candidate.slice(0, v.length);
          bestViolation = v;
          changed = true;
        } else at++;
      }
    }
  }

  // 2. move single steps next to a neighbour of the same actor while that removes switches
  const stepsOf = (candidate: readonly StepId[]) => walkSteps(config, candidate, placement)?.steps ?? [];
  let improved = true;
  while (improved) {
    improved = false;
    const current = switches(stepsOf(best));
    for (let from = 0; from < best.length && !improved; from++) {
      for (let to = 0; to < best.length && !improved; to++) {
        if (to === from) continue;
        const candidate = [...best];
        const [moved] = candidate.splice(from, 1);
        candidate.splice(to, 0, moved!);
        const v = stillFails(candidate);
        if (v === undefined || v.length < candidate.length) continue;
        if (switches(stepsOf(candidate)) < current) {
          best = candidate;
          bestViolation = v;
          improved = true;
        }
      }
    }
  }
  return { steps: best, violation: bestViolation };
}
