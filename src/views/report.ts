/**
 * The offline report: one self-contained HTML file (no scripts, no network,
 * no external assets) with the design, scope and verdict, the three machines
 * as Graphviz SVG with the states a trace visits highlighted, the trace's
 * message sequence with the violating step marked, and the step table.
 */
import { instance } from '@viz-js/viz';
import type { DesignOptions } from '../../machines/design.js';
import { describeScope } from '../../machines/scope.js';
import { CoverageRecorder } from '../system/coverage.js';
import { machinesOf, type ComponentRecord, type MachineKind } from '../system/system.js';
import { replayForView, type ReplayRow } from '../trace/replay.js';
import { describeCycle, type Trace } from '../trace/trace.js';
import { toDot } from './machine-graph.js';
import { renderSequenceSvg, sequenceOf } from './sequence-diagram.js';
import { escapeXml } from './xml.js';

const MACHINES: readonly { kind: MachineKind; caption: string }[] = [
  { kind: 'host', caption: 'host: one vCPU’s fault path, work queue and completion delivery (virt/kvm/async_pf.c and the arch code)' },
  { kind: 'guest', caption: 'guest: one guest CPU’s async PF handlers and its share of the sleeper table' },
  { kind: 'token', caption: 'token: the lifecycle of one token, host side and guest side (the checker’s observer)' },
];

/** What the trace shows, read by replaying it. */
interface TraceView {
  readonly trace: Trace;
  readonly rows: readonly ReplayRow[];
  readonly verdict: string;
  readonly violatingStep: number | null;
  readonly visited: ReadonlyMap<MachineKind, ReadonlySet<string>>;
  readonly sequenceSvg: string;
}

function viewOf(trace: Trace): TraceView {
  const machines = machinesOf(trace.design.options);
  const coverage = new Map(MACHINES.map(({ kind }) => [kind, new CoverageRecorder(machines[kind].machine)] as const));
  const records: ComponentRecord[][] = trace.steps.map(() => []);
  const outcome = replayForView(trace, (step, record) => {
    records[step - 1]!.push(record);
    // every state a machine passes through, transient ones included (XState's microsteps)
    if (record.kind === 'start') coverage.get('token')!.record({ input: record.input });
    if (record.kind !== 'event') return;
    coverage.get(record.machine)!.record({ state: record.from, event: record.event });
    coverage.get(record.machine)!.recordState(record.next);
  });
  const initial = outcome.states[0]!;
  for (const h of initial.hosts) coverage.get('host')!.recordState(h);
  for (const g of initial.guests) coverage.get('guest')!.recordState(g);
  const violatingStep = outcome.status === 'violation' ? outcome.violation.length : null;
  const cycle = describeCycle(trace.cycleStart, trace.steps.length);
  const verdict =
    outcome.status === 'violation'
      ? `VIOLATED ${outcome.violation.property} after step ${outcome.violation.length}: ${outcome.violation.message}${cycle === undefined ? '' : ` (${cycle})`}`
      : 'clean: the trace violates no property';
  const diagram = sequenceOf(outcome.steps, outcome.states, records, outcome.rows.map((r) => r.summary), violatingStep);
  const visited = new Map([...coverage].map(([kind, recorder]) => [kind, recorder.reachedStates()] as const));
  return { trace, rows: outcome.rows, verdict, violatingStep, visited, sequenceSvg: renderSequenceSvg(diagram) };
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { margin-bottom: 4px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dt { font-weight: bold; }
.verdict.violated { color: #b71c1c; font-weight: bold; }
.verdict.clean { color: #1b5e20; font-weight: bold; }
figure { margin: 16px 0; overflow-x: auto; border: 1px solid #ddd; padding: 8px; }
figcaption { font-weight: bold; margin-bottom: 8px; }
figure svg { max-width: none; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
tr.violation td { background: #fde2e1; font-weight: bold; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 8px; border: 1px solid #999; }
`;

/**
 * The report for a trace (its design is the trace's), or for a design alone.
 * Graphviz runs as WebAssembly (`@viz-js/viz`), so no system binary is needed.
 */
export async function buildReport(subject: { trace: Trace } | { design: DesignOptions }): Promise<string> {
  const view = 'trace' in subject ? viewOf(subject.trace) : null;
  const design = view === null ? (subject as { design: DesignOptions }).design : view.trace.design.options;
  const viz = await instance();
  const machines = machinesOf(design);
  const figures = MACHINES.map(({ kind, caption }) => {
    const dot = toDot(machines[kind].machine, { highlight: view?.visited.get(kind) });
    const svg = viz.renderString(dot, { format: 'svg' }).replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?/, '');
    return `<figure class="machine" id="machine-${kind}"><figcaption>${escapeXml(caption)}</figcaption>\n${svg}</figure>`;
  });
  const title = view === null ? `design ${design.name}` : `trace of design ${view.trace.design.name}`;
  const facts: [string, string][] = [
    ['design', `${design.name}: ${design.summary} (reference ${design.section})`],
  ];
  if (view !== null) {
    const t = view.trace;
    facts.push(['scope', describeScope(t.scope)], ['bugs', t.bugs.length === 0 ? 'none' : t.bugs.join(', ')]);
    facts.push(['found by', `${t.mode} mode${t.seed === null ? '' : `, seed ${t.seed}`}`], ['steps', String(t.steps.length)]);
  }
  const body = [
    `<h1>apfcheck report: ${escapeXml(title)}</h1>`,
    `<dl>${facts.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('')}</dl>`,
  ];
  if (view !== null) {
    const violated = view.violatingStep !== null;
    body.push(
      `<p class="verdict ${violated ? 'violated' : 'clean'}" id="verdict">${escapeXml(view.verdict)}</p>`,
      '<h2>Message sequence</h2>',
      `<figure id="sequence"><figcaption>one row per step: the actor's arrow to every party the step reached${violated ? `; step ${view.violatingStep} (red) is where the property fails` : ''}</figcaption>\n${view.sequenceSvg}</figure>`,
    );
  }
  body.push(
    '<h2>Machines</h2>',
    view === null
      ? '<p>The three machines of the design, read from their XState definitions.</p>'
      : '<p class="legend"><span style="background:#ffd54f">visited</span> states some instance of the machine is in during the trace</p>',
    ...figures,
  );
  if (view !== null) body.push('<h2>Steps</h2>', stepTable(view.rows, view.violatingStep));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>apfcheck report: ${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

function stepTable(rows: readonly ReplayRow[], violatingStep: number | null): string {
  const tr = (r: ReplayRow) =>
    `<tr${r.index === violatingStep ? ' class="violation"' : ''} data-step="${r.index}"><td>${r.index}</td><td>${escapeXml(r.actor)}</td><td>${escapeXml(r.label)}</td><td>${escapeXml(r.summary)}</td></tr>`;
  return `<table id="steps"><thead><tr><th>#</th><th>actor</th><th>action</th><th>state change</th></tr></thead><tbody>\n${rows.map(tr).join('\n')}\n</tbody></table>`;
}
