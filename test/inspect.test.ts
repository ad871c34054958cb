/**
 * `apfcheck inspect`: a trace replayed through live XState actors reaches the
 * state `apfcheck replay` reaches, and the inspector's events (file and relay)
 * are the Stately wire format with one snapshot per machine event.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EventObject } from 'xstate';
import type { ComponentRecord } from '../src/system/system.js';
import { replayForView } from '../src/trace/replay.js';
import { digestOf, readTraceFile, type Trace } from '../src/trace/trace.js';
import { actorId, replayThroughActors } from '../src/views/live-replay.js';

const root = path.resolve(import.meta.dirname, '..');
const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-inspect-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// the CLI from the sources, as every test runs it (the compiled bin is test/package.test.ts's)
const cli = (...args: string[]) => spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/run.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });

function runCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = cli(...args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  const probe = createServer();
  return new Promise((resolve) => probe.listen(0, () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  }));
}

interface WireEvent {
  type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';
  sessionId: string;
  name?: string;
  definition?: string;
  event?: EventObject;
  snapshot?: { value: unknown; context: unknown };
}

/**
 * What the inspector must show, computed without actors: for every event the
 * system sends a machine instance, that instance's state after it (XState's
 * pure `transition`, as the composed system logs it).
 */
function expectedSnapshots(trace: Trace): { actor: string; event: string; value: unknown; context: unknown }[] {
  const out: { actor: string; event: string; value: unknown; context: unknown }[] = [];
  replayForView(trace, (_, r: ComponentRecord) => {
    if (r.kind === 'event') out.push({ actor: actorId(r.machine, r.instance), event: r.event.type, value: r.next.value, context: r.next.context });
  });
  return out;
}

describe('replay through live actors', () => {
  it.each(examples)('%s: live actors end where apfcheck replay ends', (file) => {
    const trace = readTraceFile(path.join(root, 'examples', file));
    const replay = replayThroughActors(trace);
    expect(replay.mismatches).toEqual([]);
    expect(digestOf(replay.final)).toBe(trace.steps.at(-1)!.digest);
    const vcpus = trace.scope.vcpus;
    // one host and one guest per vCPU, the VM, and an observer per token still in the state
    expect(replay.actors.size).toBe(2 * vcpus + 1 + replay.final.tokens.length);
    expect(replay.events).toBeGreaterThanOrEqual(trace.steps.length);
  });

  it('refuses a trace that no longer replays, in one line', async () => {
    const trace = JSON.parse(fs.readFileSync(path.join(root, 'examples', examples[0]!), 'utf8'));
    trace.steps[1].kind = 'no-such-kind';
    const file = path.join(tmp, 'diverged.json');
    fs.writeFileSync(file, JSON.stringify(trace));
    const result = await runCli('inspect', file, '--events-out', path.join(tmp, 'never.jsonl'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^apfcheck: .*diverged\.json diverges at step 2: .*not enabled/);
    expect(fs.existsSync(path.join(tmp, 'never.jsonl'))).toBe(false);
  });
});

describe('inspect --events-out', () => {
  const example = path.join(root, 'examples', 'x86-hotplug-stale-token.json');
  const trace = readTraceFile(example);

  async function capture(name: string): Promise<WireEvent[]> {
    const out = path.join(tmp, name);
    const result = await runCli('inspect', example, '--events-out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^\\d+ inspector events \\(${trace.steps.length} steps, \\d+ machine events\\) written to `));
    const text = fs.readFileSync(out, 'utf8');
    // every line parses
    return text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as WireEvent);
  }

  it('writes the Stately wire format: actors first, then one event and one snapshot per machine event, matching the trace', async () => {
    const events = await capture('hotplug.jsonl');
    const names = new Map<string, string>();
    for (const e of events) if (e.type === '@xstate.actor') names.set(e.sessionId, e.name!);

    // the first events announce every vCPU's host and guest machine, with its definition
    const vcpus = trace.scope.vcpus;
    const opening = events.slice(0, 2 * vcpus);
    expect(opening.every((e) => e.type === '@xstate.actor')).toBe(true);
    expect(opening.map((e) => e.name).sort()).toEqual(
      Array.from({ length: vcpus }, (_, v) => [`guest[${v}]`, `host[${v}]`]).flat().sort(),
    );
    for (const e of events.filter((x) => x.type === '@xstate.actor')) {
      expect(JSON.parse(e.definition!).id).toBe(e.name!.replace(/\[.*$/, ''));
    }
    // a token observer is announced before anything is sent to it
    const seen = new Set<string>();
    for (const e of events) {
      if (e.type === '@xstate.actor') seen.add(e.sessionId);
      else expect(seen.has(e.sessionId), `${e.type} for an unannounced actor`).toBe(true);
    }

    // the snapshots after the initial ones are, in order, the model's states after each machine event
    const snapshots = events
      .filter((e) => e.type === '@xstate.snapshot' && e.event!.type !== 'xstate.init')
      .map((e) => ({ actor: names.get(e.sessionId), event: e.event!.type, value: e.snapshot!.value, context: e.snapshot!.context }));
    const expected = expectedSnapshots(trace);
    expect(expected.length).toBeGreaterThan(trace.steps.length);
    expect(snapshots).toEqual(expected);
  });

  it('is the same file for the same trace', async () => {
    expect(await capture('a.jsonl')).toEqual(await capture('b.jsonl'));
  });

  it('reports an unwritable --events-out in one line', async () => {
    const result = await runCli('inspect', example, '--events-out', path.join(tmp, 'missing-dir', 'x.jsonl'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^apfcheck: cannot write --events-out .*ENOENT\n$/);
  });
});

/** An inspector event without what differs from run to run in live mode (session ids, clock). */
function comparable(line: string): unknown {
  const { sessionId: _s, createdAt: _c, rootId: _r, parentId: _p, sourceId: _src, id: _id, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
}

describe('inspect through the local relay', () => {
  it('sends the trace to the relay, which forwards it to a page; Ctrl-C ends it with the page still open', async () => {
    const example = path.join(root, 'examples', 'x86-legacy-no-kick.json');
    const file = path.join(tmp, 'relay-reference.jsonl');
    expect((await runCli('inspect', example, '--events-out', file)).code).toBe(0);
    const reference = fs.readFileSync(file, 'utf8').trimEnd().split('\n');

    const port = await freePort();
    const child = cli('inspect', example, '--port', String(port));
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const page = { socket: undefined as WebSocket | undefined };
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          stdout += d;
          if (stdout.includes('Ctrl-C stops the relay')) resolve();
        });
        child.on('close', (code) => reject(new Error(`inspect exited early (${code}): ${stderr}`)));
      });
      expect(stdout).toContain(`open http://localhost:${port} in a browser`);
      // a page connecting after the replay gets the relay's buffer: the whole trace here
      const received: string[] = [];
      page.socket = new WebSocket(`ws://localhost:${port}`);
      await new Promise<void>((resolve) => {
        page.socket!.on('message', (data) => {
          received.push(data.toString());
          if (received.length === reference.length) resolve();
        });
      });
      expect(received.map(comparable)).toEqual(reference.map(comparable));

      // the page stays connected: Ctrl-C must still end the process
      child.kill('SIGINT');
      expect(await exit).toBe(0);
      expect(stdout).toContain('relay stopped');
    } finally {
      page.socket?.close();
      child.kill('SIGKILL');
    }
  });

  it('refuses a port that is taken, in one line', async () => {
    const example = path.join(root, 'examples', 'x86-legacy-no-kick.json');
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, () => resolve((server.address() as { port: number }).port)));
    try {
      const result = await runCli('inspect', example, '--port', String(port));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^apfcheck: cannot listen on port ${port} \\(EADDRINUSE\\): pass --port`));
    } finally {
      server.close();
    }
  });

  it('refuses --port with --events-out', async () => {
    const example = path.join(root, 'examples', 'x86-legacy-no-kick.json');
    const result = await runCli('inspect', example, '--port', '9000', '--events-out', path.join(tmp, 'x.jsonl'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^apfcheck: --port is for the relay and --events-out writes a file instead/);
  });
});

describe('inspect a design without a trace', () => {
  it('starts the actors of a design file in their initial state', async () => {
    const out = path.join(tmp, 'design.jsonl');
    const result = await runCli('inspect', '--design-file', path.join(root, 'examples', 'designs', 'rfcv1-irq-ack.json'), '--events-out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\d+ inspector events \(0 steps, 0 machine events\) written to /);
    const events = fs.readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as WireEvent);
    // one actor per machine of the default scope (one vCPU), each with its initial event and snapshot only
    expect(events.filter((e) => e.type === '@xstate.actor').map((e) => (e as { name: string }).name)).toEqual(['host[0]', 'guest[0]', 'vm[0]']);
    expect(events.filter((e) => e.type === '@xstate.event')).toHaveLength(3);
  });

  it('needs a trace or a design, not both', async () => {
    for (const args of [[], ['x.json', '--design', 'x86']]) {
      const result = await runCli('inspect', ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^apfcheck: inspect shows a trace file, or a design \(--design NAME or --design-file FILE\) in its initial state: give one of them\n$/);
    }
  });
});
