/**
 * The message sequence of a trace, as an SVG sequence diagram: lifelines for
 * each vCPU's host side, its async PF worker, its guest side and the shared
 * slot (`struct kvm_vcpu_pv_apf_data` / the SDEI area), plus the swap device;
 * one row per step, an arrow from the actor to every party the step reached.
 */
import type { ComponentRecord, Step, SystemState } from '../system/system.js';
import { escapeXml } from './xml.js';

export interface Arrow {
  readonly from: string;
  readonly to: string;
}

export interface Message {
  readonly index: number;
  /** the lifeline of the step's actor */
  readonly actor: string;
  /** the actor to every machine the step reached; a worker started; a write of the slot from its writer (empty: a step local to the actor) */
  readonly arrows: readonly Arrow[];
  readonly label: string;
  readonly summary: string;
  readonly violating: boolean;
}

export interface SequenceDiagram {
  readonly lifelines: readonly string[];
  readonly messages: readonly Message[];
}

/** The lifeline of a step's actor (`host0` -> `host 0`). */
function actorLifeline(actor: string): string {
  const m = /^(host|guest|worker)(\d+)$/.exec(actor);
  return m === null ? actor : `${m[1]} ${m[2]}`;
}

/**
 * The diagram of a walked trace: `records[i]` are the machine events of step
 * i+1, `states` the states from the initial one; `violatingStep` is marked.
 */
export function sequenceOf(
  steps: readonly Step[],
  states: readonly SystemState[],
  records: readonly (readonly ComponentRecord[])[],
  summaries: readonly string[],
  violatingStep: number | null,
): SequenceDiagram {
  const vcpus = states[0]!.hosts.length;
  const lifelines = Array.from({ length: vcpus }, (_, v) => [`host ${v}`, `worker ${v}`, `guest ${v}`, `slot ${v}`]).flat();
  if (steps.some((s) => s.actor === 'swap')) lifelines.push('swap');
  const messages = steps.map((step, i): Message => {
    const actor = actorLifeline(step.actor);
    const reached = new Set<string>();
    const guestCleared = new Set<number>();
    for (const r of records[i] ?? []) {
      // token observers are the checker's bookkeeping, not parties of the protocol; a new one means work was queued
      if (r.kind === 'start') reached.add(`worker ${r.input.vcpu}`);
      if (r.kind === 'event' && r.machine !== 'token') reached.add(`${r.machine} ${r.instance}`);
      if (r.kind === 'event' && r.event.type === 'GUEST_CLEARS_AREA') guestCleared.add(r.instance);
    }
    reached.delete(actor);
    const arrows: Arrow[] = lifelines.filter((l) => reached.has(l)).map((to) => ({ from: actor, to }));
    const [before, after] = [states[i]!, states[i + 1]!];
    before.hosts.forEach((h, v) => {
      if (JSON.stringify(h.context.area) === JSON.stringify(after.hosts[v]!.context.area)) return;
      arrows.push({ from: guestCleared.has(v) ? `guest ${v}` : `host ${v}`, to: `slot ${v}` });
    });
    return {
      index: i + 1,
      actor,
      arrows,
      label: step.label,
      summary: summaries[i] ?? '',
      violating: violatingStep === i + 1,
    };
  });
  return { lifelines, messages };
}

const COLUMN = 120;
const ROW = 34;
const TOP = 44;
const LEFT = 40;
/** room right of the last lifeline for a label that starts there */
const LABEL_ROOM = 340;

/** The diagram as SVG: each step a `<g class="step" data-step="i">`, the violating one also `violation`. */
export function renderSequenceSvg(diagram: SequenceDiagram): string {
  const x = (lifeline: string) => LEFT + COLUMN / 2 + diagram.lifelines.indexOf(lifeline) * COLUMN;
  const width = LEFT + diagram.lifelines.length * COLUMN + LABEL_ROOM;
  const height = TOP + (diagram.messages.length + 1) * ROW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
  ];
  for (const lifeline of diagram.lifelines) {
    const cx = x(lifeline);
    out.push(
      `<g class="lifeline"><rect x="${cx - 48}" y="6" width="96" height="24" rx="4" fill="#eef3fb" stroke="#4a6fa5"/>`,
      `<text x="${cx}" y="22" text-anchor="middle" font-weight="bold">${escapeXml(lifeline)}</text>`,
      `<line x1="${cx}" y1="30" x2="${cx}" y2="${height - 6}" stroke="#9aa9bf" stroke-dasharray="4 3"/></g>`,
    );
  }
  for (const [row, m] of diagram.messages.entries()) {
    const y = TOP + row * ROW + ROW / 2;
    const from = x(m.actor);
    const tip = `${m.index}. ${m.label}${m.summary === '' ? '' : ` \u2014 ${m.summary}`}`;
    out.push(`<g class="step${m.violating ? ' violation' : ''}" data-step="${m.index}"><title>${escapeXml(tip)}</title>`);
    if (m.violating) out.push(`<rect x="2" y="${y - ROW / 2 + 2}" width="${width - 4}" height="${ROW - 4}" fill="#fde2e1" stroke="#c62828"/>`);
    out.push(`<text x="6" y="${y + 4}" fill="#555">${m.index}</text>`);
    const colour = m.violating ? '#c62828' : '#333';
    if (m.arrows.length === 0) {
      out.push(`<rect x="${from - 6}" y="${y - 8}" width="12" height="16" fill="${colour}"/>`);
    }
    for (const arrow of m.arrows) {
      out.push(`<line x1="${x(arrow.from)}" y1="${y}" x2="${x(arrow.to)}" y2="${y}" stroke="${colour}" stroke-width="1.4" marker-end="url(#arrow)"/>`);
    }
    const textX = m.arrows.length === 0 ? from + 10 : Math.min(from, ...m.arrows.flatMap((a) => [x(a.from), x(a.to)])) + 6;
    out.push(`<text x="${textX}" y="${y - 5}" fill="${colour}">${escapeXml(shorten(m.label))}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Step labels read `cpu0: kvm_guest_cpu_init (APF on)`: the lifeline already says which CPU. */
function shorten(label: string): string {
  const text = label.replace(/^v?cpu\d+: /, '');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
