/**
 * A machine's static graph (state nodes and transitions, read from its
 * definition) and its DOT and mermaid renderings, for `apfcheck export`.
 */
import type { AnyStateMachine } from 'xstate';

export interface GraphNode {
  readonly id: string;
  readonly type: string;
  readonly parent: string | null;
}

export interface GraphEdge {
  readonly source: string;
  /** target state ids; empty for a transition that stays where it is */
  readonly targets: readonly string[];
  /** the event type, or `always` for an eventless transition */
  readonly event: string;
  readonly guard: string | null;
}

interface NodeLike {
  readonly id: string;
  readonly type: string;
  readonly states: Record<string, NodeLike>;
  readonly transitions: Map<string, readonly TransitionLike[]>;
  readonly always?: readonly TransitionLike[];
}
interface TransitionLike {
  readonly guard?: unknown;
  readonly target?: readonly { id: string }[];
}

/** `isNotPresent`, `and(a, b)` or `not(a)` as written in the machine. */
function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  const combined = guard as { guards?: readonly unknown[]; name?: string };
  if (Array.isArray(combined.guards)) return combined.guards.map(guardName).join(' && ');
  return combined.name ?? 'guard';
}

/** The machine's state nodes (root excluded) and transitions, in document order. */
export function machineGraph(machine: AnyStateMachine): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const walk = (node: NodeLike, parent: string | null): void => {
    if (parent !== null) nodes.push({ id: node.id, type: node.type, parent });
    const add = (event: string, t: TransitionLike) =>
      edges.push({ source: node.id, targets: (t.target ?? []).map((x) => x.id), event, guard: guardName(t.guard) });
    for (const [event, candidates] of node.transitions) for (const t of candidates) add(event, t);
    for (const t of node.always ?? []) add('always', t);
    for (const child of Object.values(node.states)) walk(child, node.id);
  };
  walk(machine.root as unknown as NodeLike, null);
  return { nodes, edges };
}

const quote = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
const edgeLabel = (e: GraphEdge) => (e.guard === null ? e.event : `${e.event} [${e.guard}]`);

export interface DotOptions {
  /** state ids (`guest.running`) filled and given the SVG class `visited` */
  readonly highlight?: ReadonlySet<string>;
}

/** Graphviz DOT: compound states as clusters, a transition without target as a self-loop. */
export function toDot(machine: AnyStateMachine, options: DotOptions = {}): string {
  const { nodes, edges } = machineGraph(machine);
  const children = (parent: string) => nodes.filter((n) => n.parent === parent);
  const lines = [
    `digraph ${quote(machine.id)} {`,
    // the graph id prefixes every SVG element id, so several machines can share one HTML page
    `  id=${quote(machine.id)}; compound=true; rankdir=LR; fontname="Helvetica";`,
    '  node [shape=box, style=rounded, fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];'];
  const emit = (parent: string, indent: string): void => {
    for (const n of children(parent)) {
      if (n.type === 'atomic' || n.type === 'final') {
        const visited = options.highlight?.has(n.id) === true ? ', class="visited", style="rounded,filled", fillcolor="#ffd54f"' : '';
        lines.push(`${indent}${quote(n.id)} [label=${quote(n.id.split('.').pop()!)}${n.type === 'final' ? ', peripheries=2' : ''}${visited}];`);
      } else {
        // a cluster inherits the graph's id unless it has its own
        lines.push(`${indent}subgraph ${quote(`cluster_${n.id}`)} {`, `${indent}  id=${quote(`cluster_${n.id}`)}; label=${quote(n.id.split('.').pop()!)};`);
        emit(n.id, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
  };
  emit(machine.root.id, '  ');
  const atomicUnder = (id: string): string => {
    const child = children(id)[0];
    return child === undefined ? id : atomicUnder(child.id);
  };
  for (const e of edges) {
    const from = atomicUnder(e.source);
    for (const to of e.targets.length > 0 ? e.targets : [e.source]) {
      lines.push(`  ${quote(from)} -> ${quote(atomicUnder(to))} [label=${quote(edgeLabel(e))}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** mermaid `stateDiagram-v2`: compound states nested, parallel regions as concurrent states. */
export function toMermaid(machine: AnyStateMachine): string {
  const { nodes, edges } = machineGraph(machine);
  const name = (id: string) => id.replace(/\./g, '_');
  const lines = ['stateDiagram-v2'];
  const emit = (parent: string, indent: string): void => {
    for (const n of nodes.filter((x) => x.parent === parent)) {
      const hasChildren = nodes.some((x) => x.parent === n.id);
      if (!hasChildren) {
        lines.push(`${indent}state "${n.id.split('.').pop()}" as ${name(n.id)}`);
      } else {
        lines.push(`${indent}state ${name(n.id)} {`);
        emit(n.id, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
  };
  emit(machine.root.id, '  ');
  const rootEvents: string[] = [];
  for (const e of edges) {
    if (e.source === machine.root.id) {
      // handlers on the machine itself apply in every state: listed in a note rather than drawn from one state
      const to = e.targets.map((t) => t.split('.').pop()).join(', ');
      rootEvents.push(to === '' ? edgeLabel(e) : `${edgeLabel(e)} -> ${to}`);
      continue;
    }
    for (const to of e.targets.length > 0 ? e.targets : [e.source]) {
      lines.push(`  ${name(e.source)} --> ${name(to)} : ${edgeLabel(e).replace(/:/g, ' ')}`);
    }
  }
  if (rootEvents.length > 0 && nodes[0] !== undefined) {
    lines.push(`  note right of ${name(nodes[0].id)}`, '    in any state:', ...[...new Set(rootEvents)].map((e) => `    ${e}`), '  end note');
  }
  return `${lines.join('\n')}\n`;
}
