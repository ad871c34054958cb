/**
 * `apfcheck inspect FILE [--events-out FILE.jsonl] [--port N]`: replays a
 * trace through live actors for the Stately inspector; `inspect --design NAME`
 * or `--design-file FILE` instead starts a design's actors in their initial
 * state (a trace of no steps). With --events-out the
 * inspector's wire-format events go to a file (offline); otherwise to a local
 * relay (`@statelyai/inspect/server`) whose page the user opens.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { ModelError } from '../errors.js';
import { UsageError } from '../errors.js';
import { replayForView } from '../trace/replay.js';
import { buildTrace, readTraceFile, type Trace } from '../trace/trace.js';
import { DEFAULT_SCOPE } from '../../machines/scope.js';
import { loadDesignFile } from '../design/design-file.js';
import { validateScope } from '../system/scope.js';
import { initialState } from '../system/system.js';
import { inspectorEventLines, inspectTrace } from '../views/inspector-events.js';
import type { LiveReplay } from '../views/live-replay.js';
import { design as designNamed } from '../check/request-options.js';
import { integer } from './options.js';

export interface InspectFlags {
  readonly eventsOut?: string;
  readonly port?: string;
  readonly design?: string;
  readonly designFile?: string;
}

/** The relay (`@statelyai/inspect/server`) replays only its last 200 events to a page opened later. */
const RELAY_BUFFER = 200;
const DEFAULT_PORT = 8080;

/** What to show: the trace in `file`, or the design named by the flags, at the default scope, before any step. */
function traceToShow(file: string | undefined, flags: InspectFlags): Trace {
  const named = [file, flags.design, flags.designFile].filter((x) => x !== undefined).length;
  if (named !== 1) throw new UsageError('inspect shows a trace file, or a design (--design NAME or --design-file FILE) in its initial state: give one of them');
  if (file === undefined) {
    const design = flags.designFile === undefined ? designNamed(flags.design!) : loadDesignFile(flags.designFile);
    const config = { design, scope: validateScope(DEFAULT_SCOPE, design) };
    return buildTrace(config, { bugs: [], mode: 'exhaustive', seed: null }, [], [initialState(config)], null);
  }
  const trace = readTraceFile(file);
  // a trace that no longer replays is refused before anything is written or served
  replayForView(trace, undefined, file);
  return trace;
}

export async function inspectCommand(file: string | undefined, flags: InspectFlags): Promise<number> {
  if (flags.eventsOut !== undefined && flags.port !== undefined) {
    throw new UsageError('--port is for the relay and --events-out writes a file instead: give one of them');
  }
  const trace = traceToShow(file, flags);
  if (flags.eventsOut !== undefined) return writeEvents(trace, flags.eventsOut);
  return serveEvents(trace, flags.port === undefined ? DEFAULT_PORT : integer('--port', 65535, 1)(flags.port));
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

/** Resolves when `port` can be listened on, so the relay does not die on EADDRINUSE or EACCES. */
function ensurePortUsable(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on port ${port} (${error.code ?? error.message}): pass --port with another port, or stop the other relay`)),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

/** Waits for Enter; false when the user pressed Ctrl-C or stdin closed instead. */
function waitForEnter(prompt: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    let answered = false;
    rl.once('SIGINT', () => rl.close());
    rl.once('close', () => resolve(answered));
    rl.question(prompt, () => {
      answered = true;
      rl.close();
    });
  });
}

function waitForInterrupt(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}

async function serveEvents(trace: Trace, port: number): Promise<number> {
  await ensurePortUsable(port);
  // the relay's server and client (a WebSocket server among them) are loaded only when a relay is served, not for --events-out
  const [{ createWebSocketInspector }, { createInspectorServer }] = await Promise.all([import('@statelyai/inspect'), import('@statelyai/inspect/server')]);
  const relay = createInspectorServer({ port, autoOpen: false });
  const client = createWebSocketInspector({ url: `ws://localhost:${port}`, maxDeferredEvents: Number.POSITIVE_INFINITY });
  try {
    process.stdout.write(`Stately inspector relay: open http://localhost:${port} in a browser (the page embeds the inspector UI from stately.ai)\n`);
    const go = process.stdin.isTTY !== true || (await waitForEnter(`press Enter once the page is open to replay ${trace.steps.length} steps `));
    if (go) {
      let sent = 0;
      const replay = await inspectTrace(trace, { send: (event) => (sent++, client.adapter.send(event)) });
      assertAgrees(replay);
      process.stdout.write(`replayed ${trace.steps.length} steps: ${sent} inspector events to ${replay.actors.size} live actors\n`);
      if (sent > RELAY_BUFFER) {
        process.stdout.write(`note: the relay keeps only the last ${RELAY_BUFFER} events for a page opened after the replay; open the page first\n`);
      }
      process.stdout.write('Ctrl-C stops the relay\n');
      await waitForInterrupt();
    }
  } finally {
    client.stop();
    relay.stop();
    // relay.stop() closes the server but not the connections of open pages, which would keep the process alive
    setTimeout(() => process.exit(), 100).unref();
  }
  process.stdout.write('relay stopped\n');
  return 0;
}
