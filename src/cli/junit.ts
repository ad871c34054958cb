/**
 * `check --junit FILE`: the verdicts as JUnit XML, the format CI systems show
 * natively. One testsuite per design, one testcase per property: a violation
 * is a <failure> carrying the message, the counterexample's steps and the
 * replay command; a search that stopped before covering its scope is an
 * <error>; a property not checked is <skipped> with the reason.
 */
import { printable } from '../errors.js';

/** One property's verdict for one design, as JUnit reports it. */
export interface JunitCase {
  readonly property: string;
  readonly outcome: 'pass' | 'failure' | 'error' | 'skipped';
  /** one line: the violation, why the search stopped, or why the property was not checked */
  readonly message?: string;
  /** the failure's text: the counterexample's steps and how to replay it */
  readonly detail?: string;
}

export interface JunitSuite {
  readonly design: string;
  /** what was checked: scope and mode */
  readonly context: string;
  readonly seconds: number;
  readonly cases: readonly JunitCase[];
}

/** XML text and attribute values: the five special characters, and control characters made visible (XML 1.0 forbids most). */
function xml(text: string): string {
  const safe = text
    .split('\n')
    .map((line) => printable(line))
    .join('\n');
  return safe.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function testcase(design: string, c: JunitCase): string {
  const open = `    <testcase classname="apfcheck.${xml(design)}" name="${xml(c.property)}"`;
  const message = xml(c.message ?? '');
  if (c.outcome === 'pass') return `${open}/>`;
  if (c.outcome === 'skipped') return `${open}>\n      <skipped message="${message}"/>\n    </testcase>`;
  const tag = c.outcome === 'failure' ? 'failure' : 'error';
  return `${open}>\n      <${tag} message="${message}" type="${c.outcome === 'failure' ? 'violation' : 'incomplete'}">${xml(c.detail ?? c.message ?? '')}</${tag}>\n    </testcase>`;
}

/** The JUnit XML document for `suites`. */
export function junitXml(suites: readonly JunitSuite[]): string {
  const count = (outcome: JunitCase['outcome'], cases: readonly JunitCase[]) => cases.filter((c) => c.outcome === outcome).length;
  const all = suites.flatMap((s) => s.cases);
  const body = suites.map((s) => {
    const attributes = `name="${xml(`${s.design} (${s.context})`)}" tests="${s.cases.length}" failures="${count('failure', s.cases)}" errors="${count('error', s.cases)}" skipped="${count('skipped', s.cases)}" time="${s.seconds.toFixed(3)}"`;
    return `  <testsuite ${attributes}>\n${s.cases.map((c) => testcase(s.design, c)).join('\n')}\n  </testsuite>`;
  });
  const totals = `tests="${all.length}" failures="${count('failure', all)}" errors="${count('error', all)}" skipped="${count('skipped', all)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="apfcheck" ${totals}>\n${body.join('\n')}\n</testsuites>\n`;
}
