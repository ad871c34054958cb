/**
 * `apfcheck export`: a machine's static graph as DOT, mermaid and XState JSON.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { machinesOf } from '../src/system/system.js';
import { machineGraph, toDot, toMermaid } from '../src/views/machine-graph.js';

const guest = machinesOf(designByName('arm64-rfcv1')).guest.machine;
const host = machinesOf(designByName('x86')).host.machine;

describe('machine graph export', () => {
  it('lists every state node and transition of the definition', () => {
    const { nodes, edges } = machineGraph(host);
    expect(nodes.map((n) => n.id)).toEqual([
      'host.run',
      'host.run.running',
      'host.run.apfHalted',
      'host.completion',
      'host.completion.idle',
      'host.completion.scanning',
    ]);
    expect(edges).toContainEqual({
      source: 'host.run.running',
      targets: ['host.run.apfHalted'],
      event: 'EPT_VIOLATION',
      guard: 'gfnOutstanding && haltsOnRepeatedFault',
    });
    expect(edges.filter((e) => e.event === 'always' && e.source === 'host.completion.scanning')).toHaveLength(4);
  });

  it('renders DOT with parallel regions as clusters and guards on the edges', () => {
    const dot = toDot(host);
    expect(dot).toMatch(/^digraph "host" \{/);
    expect(dot).toContain('subgraph "cluster_host.completion"');
    expect(dot).toContain('"host.run.running" -> "host.run.apfHalted" [label="EPT_VIOLATION [gfnOutstanding && haltsOnRepeatedFault]"];');
  });

  it('renders mermaid stateDiagram-v2 with the guest handler states of the design', () => {
    const text = toMermaid(guest);
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text).toContain('guest_vectors --> guest_kernelEntry : LEAVE_VECTORS');
    expect(text).toContain('guest_kernelEntry --> guest_panicked : ASYNC_EXCEPTION');
    expect(text).toContain('DOUBLE_FAULT -> panicked');
  });
});
