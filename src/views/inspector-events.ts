/**
 * The Stately inspector's wire format for a trace: `@xstate.actor` (with the
 * machine definition), `@xstate.event` and `@xstate.snapshot` events, as
 * `@statelyai/inspect` sends them, captured offline or sent to a relay.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import type { Trace } from '../trace/trace.js';
import { replayThroughActors, type LiveReplay } from './live-replay.js';

/** Where the inspector's events go. */
export interface InspectorSink {
  send(event: StatelyInspectionEvent): void;
}

/**
 * Makes a captured event stream reproducible: session ids are renumbered in
 * order of first appearance and `createdAt` becomes a logical clock (the
 * inspector orders by it), so one trace always gives the same file.
 */
export function deterministicEvents(): (event: StatelyInspectionEvent) => StatelyInspectionEvent {
  const sessions = new Map<string, string>();
  const rename = (id: string | undefined): string | undefined => {
    if (id === undefined) return undefined;
    let renamed = sessions.get(id);
    if (renamed === undefined) {
      renamed = `x:${sessions.size}`;
      sessions.set(id, renamed);
    }
    return renamed;
  };
  let clock = 0;
  return (event) => {
    const out = { ...event, sessionId: rename(event.sessionId)!, createdAt: String(clock++) };
    if (event.rootId !== undefined && event.rootId !== 'anonymous') out.rootId = rename(event.rootId);
    if (out.type === '@xstate.actor') out.parentId = rename(out.parentId);
    if (out.type === '@xstate.event') out.sourceId = rename(out.sourceId);
    return out;
  };
}

/**
 * The inspector reads an `@xstate.actor` event's snapshot when it sends it,
 * a tick later, by which time the actor may have moved on. The returned
 * observer pins it to the actor's first (initial) snapshot.
 */
function pinInitialSnapshots(next: (event: InspectionEvent) => void): (event: InspectionEvent) => void {
  const initial = new WeakMap<object, unknown>();
  return (event) => {
    if (event.type === '@xstate.snapshot' && !initial.has(event.actorRef)) initial.set(event.actorRef, event.snapshot);
    if (event.type !== '@xstate.actor') {
      next(event);
      return;
    }
    const actor = event.actorRef;
    const getSnapshot = () => (initial.has(actor) ? initial.get(actor) : actor.getSnapshot());
    next({ ...event, actorRef: Object.create(actor, { getSnapshot: { value: getSnapshot } }) as typeof actor });
  };
}

/**
 * Replays `trace` through live actors reporting to `sink`. The inspector
 * sends on a zero-delay timer, so this waits for those before resolving.
 */
export async function inspectTrace(
  trace: Trace,
  sink: InspectorSink,
  serialize?: (event: StatelyInspectionEvent) => StatelyInspectionEvent,
): Promise<LiveReplay> {
  const inspector = createInspector({ send: (event) => sink.send(event) }, { serialize });
  const replay = replayThroughActors(trace, { next: pinInitialSnapshots((event) => inspector.inspect.next?.(event)) });
  // the inspector defers each event with setTimeout(0): timers run in order, so one more tick drains them
  await new Promise((resolve) => setTimeout(resolve, 0));
  return replay;
}

/** The trace's inspector events as JSON lines (the `--events-out` file). */
export async function inspectorEventLines(trace: Trace): Promise<{ lines: string[]; replay: LiveReplay }> {
  const lines: string[] = [];
  const replay = await inspectTrace(trace, { send: (event) => lines.push(JSON.stringify(event)) }, deterministicEvents());
  return { lines, replay };
}
