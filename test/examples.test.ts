/**
 * The committed counterexamples under examples/ still replay against the
 * current model, step for step, to the violation examples/README.md explains.
 * A model change that alters them fails here, and the examples are rewritten
 * with the commands in examples/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../src/trace/replay.js';
import { parseTrace } from '../src/trace/trace.js';

const DIR = join(import.meta.dirname, '..', 'examples');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('examples/', () => {
  it('holds the traces examples/README.md explains', () => {
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    expect(FILES.length).toBeGreaterThanOrEqual(5);
    for (const file of FILES) expect(readme).toContain(file);
  });

  it.each(FILES)('%s replays to its recorded violation', (file) => {
    const trace = parseTrace(readFileSync(join(DIR, file), 'utf8'), file);
    const outcome = replayTrace(trace);
    expect(outcome.status).toBe('violation');
    if (outcome.status !== 'violation') return;
    expect(outcome.violation.property).toBe(trace.violation?.property);
    expect(outcome.rows).toHaveLength(trace.steps.length);
  });
});
