/**
 * The completeness pass of issue 16: every kernel function of the reference
 * documents (../shared/protocol: async-pf-reference.md, locks-and-delivery.md,
 * s390-pfault.md) that reads or writes async PF state, and the ways a guest
 * or VM stops, restarts or is torn down, is either named by a machine or a
 * step, or listed in machines/README.md with why it is left out. The
 * documents are not part of the repository, so the names are listed here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const FUNCTIONS: readonly string[] = [
  'ARM_SMCCC_KVM_FUNC_ASYNC_PF_IRQ_ACK', 'KVM_ARM_ASYNC_PF_CMD_SET_CONTROL', '__apic_accept_irq', '__cpu_disable',
  '__deliver_pfault_done', '__deliver_pfault_init', '__diag_page_ref_service', '__floating_irq_kick',
  '__inject_pfault_done', '__inject_pfault_init', '__inject_vm', '__kvm_faultin_pfn', '__kvm_handle_async_pf',
  '__kvm_inject_pfault_token', '__kvm_mmu_faultin_pfn', '__kvm_s390_handle_dat_fault', '__kvm_vcpu_wake_up',
  '__machine_kexec', '__pfault_fini', '__pfault_init', '__schedule', '__set_current_state', '__switch_to',
  '__vcpu_run', '__vmx_interrupt_blocked', 'access_async_pf', 'ack_APIC_irq', 'alloc_apf_token', 'alloc_intr_gate',
  'apf_get_user', 'apf_pageready_slot_free', 'apf_put_user', 'apf_task_wake_all', 'apf_task_wake_one',
  'apic_intr_mode_init', 'apic_set_spiv', 'async_pf_execute', 'cancel_work_sync', 'context_switch',
  'cpuhp_setup_state_nocalls', 'deliverable_irqs', 'do_inject_vcpu', 'do_lockdown', 'do_mem_abort',
  'do_notify_resume', 'el0_da', 'el1_abort', 'enable_irq_window', 'exc_page_fault', 'find_task_by_pid_ns',
  'finish_task_switch', 'fixup_user_fault', 'flic_set_attr', 'flush_work', 'get_except64_pstate', 'get_task_struct',
  'get_user_pages_remote', 'inject_abt64', 'inject_pending_event', 'inti_to_irq', 'irq_subclass_register',
  'is_idle_task', 'kernel_entry', 'kmem_cache_zalloc', 'kvm_add_async_pf_gfn', 'kvm_apic_set_irq',
  'kvm_arch_async_not_present_allowed', 'kvm_arch_async_page_not_present', 'kvm_arch_async_page_present',
  'kvm_arch_async_page_present_queued', 'kvm_arch_async_page_ready', 'kvm_arch_can_dequeue_async_page_present',
  'kvm_arch_can_inject_async_page_not_present', 'kvm_arch_can_inject_async_page_present', 'kvm_arch_destroy_vm',
  'kvm_arch_fault_in_page', 'kvm_arch_interrupt_allowed', 'kvm_arch_setup_async_pf', 'kvm_arch_vcpu_create',
  'kvm_arch_vcpu_destroy', 'kvm_arch_vcpu_ioctl_initial_reset', 'kvm_arch_vcpu_ioctl_normal_reset',
  'kvm_arch_vcpu_ioctl_run', 'kvm_arch_vcpu_ioctl_set_one_reg', 'kvm_arch_vcpu_runnable', 'kvm_async_pf_hash_reset',
  'kvm_async_pf_irq_handler', 'kvm_async_pf_queue_task', 'kvm_async_pf_sdei_handler', 'kvm_async_pf_task_wait',
  'kvm_async_pf_task_wait_schedule', 'kvm_async_pf_task_wake', 'kvm_async_pf_wakeup_all', 'kvm_can_deliver_async_pf',
  'kvm_can_do_async_pf', 'kvm_check_and_inject_events', 'kvm_check_async_pf_completion',
  'kvm_clear_async_pf_completion_queue', 'kvm_clear_exception_queue', 'kvm_clear_interrupt_queue',
  'kvm_cpu_down_prepare', 'kvm_cpu_get_interrupt', 'kvm_cpu_has_interrupt', 'kvm_cpu_offline', 'kvm_cpu_online',
  'kvm_crash_shutdown', 'kvm_del_async_pf_gfn', 'kvm_destroy_vm', 'kvm_event_needs_reinjection',
  'kvm_find_async_pf_gfn', 'kvm_flush_and_free_async_pf_work', 'kvm_guest_cpu_init', 'kvm_guest_cpu_offline',
  'kvm_guest_init', 'kvm_handle_async_pf', 'kvm_handle_page_fault', 'kvm_handle_user_mem_abort', 'kvm_hlt_in_guest',
  'kvm_inject_dabt_with_dfsc', 'kvm_inject_page_fault', 'kvm_is_error_hva', 'kvm_is_gpa_in_memslot',
  'kvm_lapic_enabled', 'kvm_lapic_reset', 'kvm_lapic_set_base', 'kvm_lapic_set_irr', 'kvm_make_request',
  'kvm_post_set_cr0', 'kvm_pv_async_pf_disable', 'kvm_pv_async_pf_enable', 'kvm_pv_async_pf_enabled',
  'kvm_pv_async_pf_wait', 'kvm_pv_async_pf_wake', 'kvm_pv_async_pf_wake_all', 'kvm_pv_async_pf_wake_one',
  'kvm_pv_disable_apf', 'kvm_pv_enable_async_pf', 'kvm_pv_guest_cpu_reboot', 'kvm_pv_reboot_notify',
  'kvm_queue_exception_vmexit', 'kvm_read_and_reset_apf_flags', 'kvm_resume', 'kvm_s390_clear_float_irqs',
  'kvm_s390_clear_local_irqs', 'kvm_s390_deliver_pending_interrupts', 'kvm_s390_enter_exit_sie',
  'kvm_s390_faultin_gfn', 'kvm_s390_handle_diag', 'kvm_s390_inject_prog_cond', 'kvm_s390_inject_vcpu',
  'kvm_s390_inject_vm', 'kvm_s390_real_to_abs', 'kvm_s390_set_cpuflags', 'kvm_s390_vcpu_has_irq',
  'kvm_s390_vcpu_wakeup', 'kvm_sdei_cancel', 'kvm_set_msr_common', 'kvm_setup_async_pf', 'kvm_smp_prepare_boot_cpu',
  'kvm_suspend', 'kvm_vcpu_has_events', 'kvm_vcpu_reset', 'kvm_vcpu_running', 'kzalloc', 'local_daif_inherit',
  'local_daif_restore', 'mmget_not_zero', 'native_safe_halt', 'on_each_cpu', 'pcpu_attach_task',
  'pending_irqs_no_gisa', 'pfault_cpu_dead', 'pfault_fini', 'pfault_init', 'pfault_interrupt', 'pfault_irq_init',
  'prepare_to_swait_exclusive', 'psw_extint_disabled', 'put_task_struct', 'read_guest_real', 'register_external_irq',
  'reset_async_pf', 'ret_to_user', 'safe_halt', 'schedule', 'schedule_work', 'select_task_rq',
  'set_intercept_indicators_ext', 'set_preempt_need_resched', 'set_task_state', 'set_tsk_need_resched',
  'setup_local_APIC', 'setup_lowcore', 'sev_map_percpu_data', 'smp_prepare_boot_cpu', 'smp_send_reschedule',
  'start_kernel', 'store_regs', 'swake_up_one', 'sync_regs_fmt2', 'synchronize_srcu', 'sysvec_kvm_asyncpf_interrupt',
  'task_is_running', 'try_async_pf', 'try_to_wake_up', 'vcpu_dat_fault_handler', 'vcpu_enter_guest', 'vcpu_post_run',
  'vcpu_post_run_addressing_exception', 'vcpu_post_run_handle_fault', 'vcpu_pre_run', 'vcpu_run', 'wake_up_process',
];

const sources = (dir: string): string =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(ROOT, dir, f), 'utf8'))
    .join('\n');

describe('completeness of the machines against the kernel functions of the reference', () => {
  const model = `${sources('machines')}\n${sources('src/system/steps')}`;
  const readme = readFileSync(join(ROOT, 'machines', 'README.md'), 'utf8');
  const word = (name: string) => new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`);

  it('names each function in a machine or a step, or says in machines/README.md why it is left out', () => {
    const unaccounted = FUNCTIONS.filter((name) => !word(name).test(model) && !word(name).test(readme));
    expect(unaccounted).toEqual([]);
  });

  it('lists in the README only functions the model does not name (no stale entries)', () => {
    const section = readme.slice(readme.indexOf('## Completeness'), readme.indexOf('## What the model shows about paths'));
    const listed = [...section.matchAll(/^\| `([A-Za-z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect(listed.length).toBeGreaterThan(50);
    expect(listed.filter((name) => word(name).test(model))).toEqual([]);
  });
});
