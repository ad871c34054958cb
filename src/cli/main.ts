/**
 * The `apfcheck` command line: list, check, replay, export, inspect, report. Exit codes: 0 every
 * checked property holds (or `--all` completed), 1 a violation was found (or
 * a replayed violation recurs), 2 bad input or usage, 3 a search stopped at a
 * budget without covering its scope.
 */
import { Command, CommanderError, Option } from 'commander';
import { printable, TraceFormatError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
// each command's module (the model, the search, the views and their libraries) is imported when that command runs:
// `--help`, `--version` and a usage error load commander alone (cold start: `npm run bench`)
import type { CheckFlags } from './check-command.js';
import type { DiffFlags } from './diff-command.js';
import type { InspectFlags } from './inspect-command.js';
import type { ReportFlags } from './report-command.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The scope's sizes and environment switches, the same for `check` and `diff`. */
function withScope(command: Command): Command {
  return command
    .option('--vcpus <n>', 'vCPUs, 1-4')
    .option('--tasks <n>', 'guest tasks, 1-6 (every placement on the vCPUs is a start; a vCPU may have none)')
    .option('--pages <n>', 'guest pages, 1-4')
    .option('--limit <n>', 'ASYNC_PF_PER_VCPU, 1-64')
    .option('--send-always', 'the guest enables APF with SEND_ALWAYS')
    .option('--nested', 'the guest may run an L2 (x86)')
    .option('--pf-vmexit', 'with --nested: L1 opts into DELIVERY_AS_PF_VMEXIT (not-present for L2 reaches L1 as a #PF VM-exit)')
    .option('--migration', 'with --pf-vmexit and 2+ vCPUs: L1\'s vCPU thread may move to another CPU before kvm_handle_page_fault')
    .option('--hotplug', 'the guest may take CPUs offline and online')
    .option('--smm', 'SMIs may clear CR0.PG (x86)')
    .option('--lapic', 'the guest may software-disable its LAPIC, and the boot CPU starts before setup_local_APIC (x86)')
    .option('--idle-poll', 'the guest idles with idle=poll (an idle vCPU leaves guest mode only when kicked)')
    .option('--timer-exits', 'the host timer makes the vCPU exit now and then (every entry path runs eventually)');
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('apfcheck')
    .description('Model checker for the KVM asynchronous page fault protocol')
    .version(VERSION, '--version', 'print the version')
    .exitOverride()
    // one line, like every other usage error: "apfcheck: <what was wrong>"
    .configureOutput({ outputError: (text, write) => write(`apfcheck: ${printable(text.replace(/^error: /, '').trimEnd())} (see --help)\n`) });

  program
    .command('list')
    .description('list the built-in designs, the properties, the bug catalogue or the design options')
    .argument('<what>', 'designs | properties | bugs | options')
    .option('--json', 'print JSON')
    .action(async (what: string, flags: { json?: boolean }) => setExit((await import('./list-command.js')).listCommand(what, flags.json === true)));

  withScope(program.command('check'))
    .description('check a design (or every design) against the properties')
    .option('--design <name>', 'design to check (default x86, or the base design of --bug)')
    .option('--design-file <file>', 'check the design described in this JSON file (format apfcheck-design/1)')
    .option('--config <file>', 'take the run from this JSON file (format apfcheck-run/1): designs, scope, mode, budgets, properties; flags typed here override it')
    .option('--all', 'check every built-in design, property by property, and print a table')
    .option('--bug <id>', 'undo one catalogued fix, or with --design-file apply a bug the file defines (repeatable)', collect, [] as string[])
    .option('--async-pf-sync', 'the host is built with CONFIG_KVM_ASYNC_PF_SYNC: the worker raises page-ready itself')
    .addOption(new Option('--mode <mode>', 'search mode').choices(['random', 'exhaustive']).default('random'))
    .option('--seed <n>', 'random seed (printed; default: from the clock)')
    .option('--runs <n>', 'random mode: schedules to try', '500')
    .option('--shard <i/n>', 'random mode: run shard i of n (its share of --runs, its own seed), e.g. for CI jobs')
    .option('--depth <n>', 'random mode: steps per schedule', '60')
    .option('--symmetry', 'exhaustive mode: merge states that differ by a permutation of interchangeable vCPUs, pages or tasks (needs --safety-only)')
    .option('--workers <n>', 'exhaustive mode: worker threads splitting the states (same states and verdict as one), default 1')
    .option('--safety-only', 'check the safety properties only')
    .option('--property <id>', 'check this property (repeatable; default: every property)', collect, [] as string[])
    .option('--max-states <n>', 'exhaustive mode: stop after this many states (exit 3)')
    .option('--max-seconds <n>', 'exhaustive mode: stop after this many seconds (exit 3)')
    .option('--trace-out <file>', 'where to write the counterexample (default ./apfcheck-trace.json)')
    .option('--trace-dir <dir>', 'with --all or several designs: directory for the counterexamples (default traces)')
    .option('--json', 'print one JSON object')
    .option('--json-lines', 'stream JSON lines on stdout as the run goes: progress, each verdict (--all), the result or summary')
    .option('--quiet', 'no progress on stderr')
    .option('--strict', 'with --all or several designs: exit 1 when any property is violated (a single check exits 1 anyway; a run file sets it unless it says "strict": false)')
    .option('--junit <file>', 'also write the verdicts as JUnit XML (one testcase per design and property)')
    .action(async (flags: CheckFlags, command: Command) => {
      const { checkCommand } = await import('./check-command.js');
      const typed = (key: keyof CheckFlags) => command.getOptionValueSource(key) === 'cli';
      setExit(await checkCommand(flags.config === undefined ? flags : (await import('./run-file.js')).withRunFile(flags, typed)));
    });

  withScope(program.command('diff'))
    .description('check two designs (built-in names or design files) at the same scope and show what differs: options, verdicts, counterexamples')
    .argument('<a>', 'design name or design file')
    .argument('<b>', 'design name or design file')
    .addOption(new Option('--mode <mode>', 'search mode').choices(['random', 'exhaustive']).default('exhaustive'))
    .option('--seed <n>', 'random seed')
    .option('--runs <n>', 'random mode: schedules to try', '500')
    .option('--depth <n>', 'random mode: steps per schedule', '60')
    .option('--max-seconds <n>', 'exhaustive mode: stop each check after this many seconds')
    .option('--trace-dir <dir>', 'directory for the counterexamples (default traces)')
    .option('--json', 'print one JSON object')
    .action(async (a: string, b: string, flags: DiffFlags) => setExit(await (await import('./diff-command.js')).diffCommand(a, b, flags)));

  program
    .command('export')
    .description("print one machine's static graph (Graphviz DOT, mermaid stateDiagram-v2, or the XState definition), or a design as a design file")
    .option('--machine <name>', 'host | guest | token (not with --format design)')
    .option('--design <name>', 'design whose machine to draw (default x86)')
    .option('--design-file <file>', 'a design file instead of a built-in design')
    .option('--format <format>', 'dot | mermaid | json | design (the design as a complete design file)', 'dot')
    .action(async (flags: { machine?: string; design?: string; designFile?: string; format: string }) => setExit((await import('./export-command.js')).exportCommand(flags)));

  program
    .command('replay')
    .description('re-execute a trace file and report whether its violation recurs')
    .argument('<file>', 'trace file written by apfcheck check')
    .option('--json', 'print one JSON object')
    .action(async (file: string, flags: { json?: boolean }) => setExit((await import('./replay-command.js')).replayCommand(file, flags.json === true)));

  program
    .command('inspect')
    .description('replay a trace through live XState actors for the Stately inspector (a local relay, or a file with --events-out)')
    .argument('[file]', 'trace file written by apfcheck check')
    .option('--design <name>', "without a trace: the design's actors in their initial state")
    .option('--design-file <file>', 'without a trace: the actors of the design in this file, in their initial state')
    .option('--events-out <file>', "write the inspector's wire-format events as JSON lines instead (offline)")
    .option('--port <n>', 'port of the local inspector relay (default 8080)')
    .action(async (file: string | undefined, flags: InspectFlags) => setExit(await (await import('./inspect-command.js')).inspectCommand(file, flags)));

  program
    .command('report')
    .description('write a self-contained HTML report of a trace (machines, message sequence, steps), or of a design\'s machines')
    .argument('[file]', 'trace file written by apfcheck check')
    .option('--design <name>', 'without a trace: draw this design\'s machines')
    .option('--design-file <file>', 'without a trace: draw the machines of the design in this file')
    .option('-o, --output <file>', 'where to write the HTML', 'report.html')
    .action(async (file: string | undefined, flags: ReportFlags) => setExit(await (await import('./report-command.js')).reportCommand(file, flags)));

  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0) {
    process.stderr.write('apfcheck: name a command: list, check, replay, export, inspect or report (see --help)\n');
    return 2;
  }
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; every parse error was already printed by commander
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof TraceFormatError) {
      process.stderr.write(`apfcheck: ${printable(error.message)}\n`);
      return 2;
    }
    // a broken model invariant is ours, not the user's: say so in one line, with what to send
    process.stderr.write(`apfcheck: internal error: ${(error as Error).message} (please report it with the command line)\n`);
    return 2;
  }
}
