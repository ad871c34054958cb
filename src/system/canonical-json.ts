/**
 * Canonical JSON: object keys in code-unit order at every depth, so the text
 * (and any digest of it) does not depend on the order in which code happened
 * to build an object. Used for trace digests and design hashes, which must
 * stay the same across machines and across refactors that reorder fields.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  // code-unit order, not localeCompare: the text must not depend on the machine's locale
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
