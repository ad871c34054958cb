/**
 * Environment steps while a task runs: the guest's own CPU context (syscalls,
 * IRQ and preemption toggles, CPU offline/online) and platform events (SMI /
 * RSM, LAPIC software-disable / enable, nested VM-entry / exit). Each is
 * offered only when it changes something. SMM (paging off), a disabled LAPIC
 * and a running L2 are windows the task is not switched out of: the LAPIC
 * and L2 ones are opened by non-preemptible kernel code, an SMI at any
 * point; the accesses made inside stand for the SMM handler's and L2's
 * (machines/README.md, item 6). A fair environment takes only the events
 * that undo what it switched off.
 */
import type { GuestEvent } from '../../../machines/guest.js';
import type { HostEvent } from '../../../machines/host.js';
import type { StepEntry, VcpuView } from './types.js';

/** What each guest-context event is called in a label. */
const CONTEXT_EVENTS: Readonly<Record<string, string>> = {
  ENTER_KERNEL: 'syscall (enter kernel)',
  IRQ_OFF: 'local_irq_disable',
  IRQ_ON: 'local_irq_enable',
  RETURN_TO_USER: 'return to user',
  PREEMPT_OFF: 'preempt_disable',
  PREEMPT_ON: 'preempt_enable',
  CPU_OFFLINE: 'kvm_guest_cpu_offline (APF off, wake all local)',
  CPU_ONLINE: 'kvm_guest_cpu_init (APF on)',
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
const RESTORING: ReadonlySet<string> = new Set(['IRQ_ON', 'PREEMPT_ON', 'RETURN_TO_USER', 'CPU_ONLINE', 'PAGING_ON', 'LAPIC_ENABLE', 'L2_EXIT']);

/** The task is in one of the windows a platform event opened (paging off, LAPIC disabled, L2 running). */
const inWindow = (at: VcpuView): boolean => !at.h.paging || !at.h.lapicEnabled || at.h.inL2;

const whileTaskRuns = (at: VcpuView): boolean => at.phase === 'runs' && at.exec === 'running';

/** The guest's own CPU context: syscall entry and return, `local_irq_*`, `preempt_*`, CPU hotplug (`kvm_guest_cpu_offline` / `kvm_guest_cpu_init`). */
export const guestContext: StepEntry = {
  kind: 'guest-context',
  actor: 'guest',
  offered(at) {
    if (!whileTaskRuns(at)) return [];
    const { g } = at;
    const out: string[] = [];
    if (g.user) out.push('ENTER_KERNEL');
    else {
      // user mode always runs with IF=1; IRQs and preemption are switched in the kernel
      out.push(g.irqsOn ? 'IRQ_OFF' : 'IRQ_ON');
      if (!inWindow(at)) {
        out.push('RETURN_TO_USER');
        out.push(g.preemptible ? 'PREEMPT_OFF' : 'PREEMPT_ON');
      }
    }
    if (at.scope.hotplug && !inWindow(at)) out.push(g.apfEnabled ? 'CPU_OFFLINE' : 'CPU_ONLINE');
    return out;
  },
  label: (at, event) => `cpu${at.v}: ${CONTEXT_EVENTS[event as string]}`,
  apply: (d, v, event) => d.guest(v, { type: event as Extract<GuestEvent, { type: 'IRQ_OFF' }>['type'] }),
  fair: (event) => RESTORING.has(event as string),
};

/** Platform events: SMI / RSM (`kvm_post_set_cr0`), the LAPIC's SPIV enable bit, nested VM-entry and VM-exit. */
export const platform: StepEntry = {
  kind: 'platform',
  actor: 'guest',
  offered(at) {
    if (!whileTaskRuns(at)) return [];
    const { g, h, scope } = at;
    const out: string[] = [];
    // LAPIC and L2 windows are opened by non-preemptible kernel code; an SMI arrives whatever the CPU runs
    const canOpen = !g.user && !g.preemptible && !inWindow(at);
    if (!h.paging) out.push('PAGING_ON');
    else if (scope.smm && !inWindow(at)) out.push('PAGING_OFF');
    if (!h.lapicEnabled) out.push('LAPIC_ENABLE');
    else if (scope.lapic && canOpen) out.push('LAPIC_DISABLE');
    if (h.inL2) out.push('L2_EXIT');
    else if (scope.nested && canOpen) out.push('L2_ENTER');
    return out;
  },
  label: (at, event) => `cpu${at.v}: ${PLATFORM_EVENTS[event as string]}`,
  apply: (d, v, event) => d.host(v, { type: event as Extract<HostEvent, { type: 'LAPIC_DISABLE' }>['type'] }),
  fair: (event) => RESTORING.has(event as string),
};

/** The environment steps, in offer order. */
export const ENVIRONMENT_STEPS: readonly StepEntry[] = [guestContext, platform];
