/**
 * Terminal output helpers: aligned tables, the per-step trace listing, and a
 * progress line on stderr (only on a TTY, never with --quiet).
 */
import type { ReplayRow } from '../trace/replay.js';

/** Left-aligned columns separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line per step: number, actor, action, effect. */
export function stepTable(rows: readonly ReplayRow[]): string {
  return table(
    ['#', 'actor', 'action', 'effect'],
    rows.map((r) => [String(r.index), r.actor, r.label, r.summary]),
  );
}

/** `[#####-----]` for done out of total (clamped: shrinking runs past the total). */
export function bar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export interface Progress {
  update(line: string): void;
  done(): void;
}

/** Without a terminal (CI logs, pipes), a plain progress line this often, the first at once. */
const PLAIN_EVERY_MS = 5_000;

/**
 * Progress on stderr: a single self-overwriting status line when it is a terminal; otherwise a plain line at the start
 * and every PLAIN_EVERY_MS (a CI log shows the run is alive without filling up). Nothing with `enabled` false (--quiet).
 */
export function progressLine(enabled: boolean): Progress {
  const terminal = process.stderr.isTTY === true;
  let last: number | undefined;
  return {
    update(line) {
      if (!enabled) return;
      const now = Date.now();
      if (last !== undefined && now - last < (terminal ? 100 : PLAIN_EVERY_MS)) return;
      last = now;
      process.stderr.write(terminal ? `\r\x1b[K${line}` : `${line}\n`);
    },
    done() {
      if (enabled && terminal) process.stderr.write('\r\x1b[K');
    },
  };
}

