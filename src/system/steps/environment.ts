/**
 * Environment steps: the guest's own CPU context (a task's syscalls, IRQ and
 * preemption toggles; CPU offline/online, from a task or the idle loop) and
 * platform events (SMI / RSM, LAPIC software-disable / enable, nested
 * VM-entry / exit), each offered wherever the kernel lets it happen and only
 * when it changes something. SMM (paging off), a disabled LAPIC and a
 * running L2 are windows the task is not switched out of: the LAPIC and L2
 * ones are opened by non-preemptible kernel code, an SMI at any point; the
 * accesses made inside stand for the SMM handler's and L2's
 * (machines/README.md, item 6). A fair environment takes only the events
 * that undo what it switched off.
 */
import type { GuestEvent } from '../../../machines/guest.js';
import type { DesignOptions } from '../../../machines/design.js';
import type { HostEvent } from '../../../machines/host.js';
import type { GuestSide, StepEntry, VcpuView } from './types.js';

/** What each guest-context event is called in a label. */
const CONTEXT_EVENTS: Readonly<Record<string, string>> = {
  ENTER_KERNEL: 'syscall (enter kernel)',
  IRQ_OFF: 'local_irq_disable',
  IRQ_ON: 'local_irq_enable',
  RETURN_TO_USER: 'return to user',
  PREEMPT_OFF: 'preempt_disable',
  PREEMPT_ON: 'preempt_enable',
  CPU_DOWN_PREPARE: 'CPU offline starts: local_irq_save, the callback\'s first exits',
  CPU_ONLINE: 'CPU online: APF on',
};

/** What the offline callback is called in a label: what it does to APF, by design. */
const OFFLINE_LABELS: Readonly<Record<DesignOptions['offlineWake'], string>> = {
  local: 'kvm_guest_cpu_offline (APF off, wake all local), local_irq_restore',
  'all-cpus': 'pfault_fini (DIAG 0x258 CANCEL), pfault_cpu_dead on every CPU',
  none: 'APF off (no wake), local_irq_restore',
};

/** What each platform event is called in a label. */
const PLATFORM_EVENTS: Readonly<Record<string, string>> = {
  PAGING_ON: 'RSM: CR0.PG=1',
  PAGING_OFF: 'SMI: CR0.PG=0',
  LAPIC_ENABLE: 'LAPIC enable',
  LAPIC_DISABLE: 'LAPIC software-disable',
  L2_EXIT: 'nested VM-exit to L1',
  L2_ENTER: 'VM-entry to L2',
};

/** Events that undo what the environment switched off: a fair continuation takes them. */
const RESTORING: ReadonlySet<string> = new Set(['IRQ_ON', 'PREEMPT_ON', 'RETURN_TO_USER', 'CPU_OFFLINE', 'CPU_ONLINE', 'PAGING_ON', 'LAPIC_ENABLE', 'L2_EXIT']);

/** The task is in one of the windows a platform event opened (paging off, LAPIC disabled, L2 running). */
const inWindow = (at: VcpuView): boolean => !at.h.paging || !at.h.lapicEnabled || at.h.inL2;

const linux = (): GuestSide => 'linux';

/**
 * The CPU-hotplug callbacks (`kvm_cpu_down_prepare`, `kvm_cpu_online`) run in the CPU's `cpuhp/N` thread, which
 * the scheduler runs when the CPU idles or can preempt its task (user mode, or preemptible kernel code with IRQs
 * on); never inside a platform window, whose code is not switched out of.
 */
function cpuhpThreadRuns(at: VcpuView): boolean {
  if (inWindow(at)) return false;
  return at.exec === 'idle' || (at.exec === 'running' && (at.g.user || (at.g.preemptible && at.g.irqsOn)));
}

/** The guest's own CPU context: syscall entry and return, `local_irq_*`, `preempt_*` (a task's), CPU hotplug (`kvm_guest_cpu_offline` / `kvm_guest_cpu_init`). */
export const guestContext: StepEntry = {
  kind: 'guest-context',
  actor: 'guest',
  side: linux,
  offered(at) {
    if (at.phase !== 'runs') return [];
    const { g } = at;
    const out: string[] = [];
    if (at.exec === 'running') {
      if (g.user) out.push('ENTER_KERNEL');
      else {
        // user mode always runs with IF=1; IRQs and preemption are switched in the kernel
        out.push(g.irqsOn ? 'IRQ_OFF' : 'IRQ_ON');
        if (!inWindow(at)) {
          out.push('RETURN_TO_USER');
          out.push(g.preemptible ? 'PREEMPT_OFF' : 'PREEMPT_ON');
        }
      }
    }
    if (at.exec === 'cpuhpOffline') out.push('CPU_OFFLINE');
    else if (at.scope.hotplug && cpuhpThreadRuns(at)) out.push(g.apfEnabled ? 'CPU_DOWN_PREPARE' : 'CPU_ONLINE');
    return out;
  },
  label: (at, event) => `cpu${at.v}: ${event === 'CPU_OFFLINE' ? OFFLINE_LABELS[at.design.offlineWake] : CONTEXT_EVENTS[event as string]}`,
  apply(d, v, event) {
    d.guest(v, { type: event as Extract<GuestEvent, { type: 'IRQ_OFF' }>['type'] });
    // the offline callback's first `wrmsr`s are exits: the vCPU passes `vcpu_enter_guest` with IRQs off
    if (event === 'CPU_DOWN_PREPARE') d.host(v, { type: 'GUEST_EXIT' });
  },
  fair: (event) => RESTORING.has(event as string),
};

/**
 * Platform events: SMI / RSM (`kvm_post_set_cr0`), the LAPIC's SPIV enable bit, nested VM-entry and VM-exit. An SMI
 * arrives whatever the CPU runs, in HLT included, except in L2 (KVM would first leave guest mode for L1,
 * `enter_smm`, which the model leaves out); RSM ends it. The LAPIC is enabled by the CPU's bring-up code
 * (`setup_local_APIC`), whatever else runs; it is disabled, and L2 is entered, by non-preemptible kernel code of a
 * task.
 */
export const platform: StepEntry = {
  kind: 'platform',
  actor: 'guest',
  side: (event) => (event === 'PAGING_OFF' || event === 'PAGING_ON' ? 'asynchronous' : 'linux'),
  offered(at) {
    const { g, h, scope } = at;
    if (at.phase === 'out' || at.exec === 'panicked') return [];
    // in SMM only the SMM handler runs, whatever Linux was doing: RSM ends it
    if (!h.paging) return ['PAGING_ON'];
    if (at.phase !== 'runs') return [];
    const out: string[] = [];
    const taskRuns = at.exec === 'running';
    const canOpen = taskRuns && !g.user && !g.preemptible && !inWindow(at);
    if (scope.smm && !h.inL2) out.push('PAGING_OFF');
    if (!h.lapicEnabled) {
      if (taskRuns || at.exec === 'idle') out.push('LAPIC_ENABLE');
    } else if (scope.lapic && canOpen) out.push('LAPIC_DISABLE');
    if (h.inL2) {
      if (taskRuns) out.push('L2_EXIT');
    } else if (scope.nested && canOpen) out.push('L2_ENTER');
    return out;
  },
  label: (at, event) => `cpu${at.v}: ${PLATFORM_EVENTS[event as string]}`,
  apply: (d, v, event) => d.host(v, { type: event as Extract<HostEvent, { type: 'LAPIC_DISABLE' }>['type'] }),
  fair: (event) => RESTORING.has(event as string),
};

/** The environment steps, in offer order. */
export const ENVIRONMENT_STEPS: readonly StepEntry[] = [guestContext, platform];
