/**
 * `apfcheck inspect FILE [--events-out FILE.jsonl] [--port N]`: replays a
 * trace through live actors for the Stately inspector. With --events-out the
 * inspector's wire-format events go to a file (offline); otherwise to a local
 * relay (`@statelyai/inspect/server`) whose page the user opens.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { ModelError } from '../system/component.js';
import { UsageError } from '../system/scope.js';
import { readTraceFile, type Trace } from '../trace/trace.js';
import { deterministicEvents, inspectorEventLines, inspectTrace } from '../views/inspector-events.js';
import type { LiveReplay } from '../views/live-replay.js';
import { integer } from './options.js';

export interface InspectFlags {
  readonly eventsOut?: string;
  readonly port: string;
}

/** The relay (`@statelyai/inspect/server`) replays only its last 200 events to a page opened later. */
const RELAY_BUFFER = 200;

export async function inspectCommand(file: string, flags: InspectFlags): Promise<number> {
  const trace = readTraceFile(file);
  if (flags.eventsOut !== undefined) return writeEvents(trace, flags.eventsOut);
  return serveEvents(trace, integer('--port', 65535, 1)(flags.port));
}

/** Live actors and the pure model are both XState: a difference is a bug of apfcheck's, never the user's. */
function assertAgrees(replay: LiveReplay): void {
  if (replay.mismatches.length > 0) throw new ModelError(`live actors disagree with the model: ${replay.mismatches.join('; ')}`);
}

async function writeEvents(trace: Trace, out: string): Promise<number> {
  const { lines, replay } = await inspectorEventLines(trace);
  assertAgrees(replay);
  try {
    writeFileSync(out, `${lines.join('\n')}\n`);
  } catch (error) {
    throw new UsageError(`cannot write --events-out ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  process.stdout.write(`${lines.length} inspector events (${trace.steps.length} steps, ${replay.events} machine events) written to ${out}\n`);
  return 0;
}

/** Resolves when `port` can be listened on, so the relay does not die on EADDRINUSE. */
function ensurePortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`port ${port} is not free (${error.code ?? error.message}): pass --port with another port, or stop the other relay`)),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

function waitForEnter(prompt: string): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => rl.question(prompt, () => (rl.close(), resolve())));
}

function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}

async function serveEvents(trace: Trace, port: number): Promise<number> {
  await ensurePortFree(port);
  const relay = createInspectorServer({ port, autoOpen: false });
  const url = `http://localhost:${port}`;
  process.stdout.write(`Stately inspector relay: open ${url} in a browser (the page embeds the inspector UI from stately.ai)\n`);
  if (process.stdin.isTTY === true) await waitForEnter(`press Enter once the page is open to replay ${trace.steps.length} steps `);
  const client = createWebSocketInspector({ url: `ws://localhost:${port}`, maxDeferredEvents: Number.POSITIVE_INFINITY });
  let sent = 0;
  const replay = await inspectTrace(trace, { send: (event) => (sent++, client.adapter.send(event)) }, deterministicEvents());
  assertAgrees(replay);
  process.stdout.write(`replayed ${trace.steps.length} steps: ${sent} inspector events to ${replay.actors.size} live actors\n`);
  if (sent > RELAY_BUFFER) {
    process.stdout.write(`note: the relay keeps only the last ${RELAY_BUFFER} events for a page opened after the replay; open the page first\n`);
  }
  process.stdout.write('Ctrl-C stops the relay\n');
  await waitForInterrupt();
  client.stop();
  relay.stop();
  process.stdout.write('relay stopped\n');
  return 0;
}
