/**
 * The machines of a design, built once per design object and stepped through
 * ComponentSteppers (memoised XState), and the inputs each vCPU's instances
 * start from.
 */
import type { DesignOptions } from '../../machines/design.js';
import { createGuestMachine, type GuestContext, type GuestEffect, type GuestEvent, type GuestInput } from '../../machines/guest.js';
import { createHostMachine, type HostContext, type HostEffect, type HostEvent, type HostInput } from '../../machines/host.js';
import { tokenMachine, type TokenContext, type TokenEvent } from '../../machines/token.js';
import { vmMachine, type VmContext, type VmEvent } from '../../machines/vm.js';
import { ComponentStepper } from './component.js';
import type { SystemConfig } from './state.js';

/** The machines of one design (built once per design object): a host and a guest per vCPU, a token observer per fault, one VM. */
export interface DesignMachines {
  readonly host: ComponentStepper<HostContext, HostEvent, HostEffect>;
  readonly guest: ComponentStepper<GuestContext, GuestEvent, GuestEffect>;
  readonly token: ComponentStepper<TokenContext, TokenEvent, never>;
  readonly vm: ComponentStepper<VmContext, VmEvent, never>;
}

/** Which machine instance of the composed system an event went to. */
export type MachineKind = keyof DesignMachines;

const machinesByDesign = new WeakMap<DesignOptions, DesignMachines>();

/** The design's machines, built on first use. */
export function machinesOf(design: DesignOptions): DesignMachines {
  let machines = machinesByDesign.get(design);
  if (machines === undefined) {
    machines = {
      host: new ComponentStepper(createHostMachine(design)),
      guest: new ComponentStepper(createGuestMachine(design)),
      token: new ComponentStepper(tokenMachine),
      vm: new ComponentStepper(vmMachine),
    };
    machinesByDesign.set(design, machines);
  }
  return machines;
}

/**
 * With the LAPIC switch, the run starts where the boot CPU has enabled APF (`kvm_smp_prepare_boot_cpu`) and not yet
 * its LAPIC (`setup_local_APIC`), the order of a direct kernel boot (2f15d027c05f; locks-and-delivery §5). Secondary
 * CPUs enable their LAPIC before APF (`kvm_cpu_online` runs late in bring-up), as does a CPU brought back online.
 */
function bootsBeforeLapic(config: SystemConfig, vcpu: number): boolean {
  return vcpu === 0 && config.scope.lapic && config.design.registration === 'enable-register';
}

/** The inputs the host and guest machine of each vCPU start from, with `placement[v]` tasks on vCPU v. */
export function machineInputs(config: SystemConfig, placement: readonly number[]): { hosts: HostInput[]; guests: GuestInput[] } {
  const { design, scope } = config;
  const sendAlways = design.guestSetsSendAlways || scope.sendAlways;
  const vcpus = Array.from({ length: scope.vcpus }, (_, v) => v);
  return {
    hosts: vcpus.map((vcpu) => ({ vcpu, limit: scope.limit, bootBeforeLapic: bootsBeforeLapic(config, vcpu), sendAlways, deliveryAsPfVmexit: scope.pfVmexit })),
    guests: vcpus.map((vcpu) => ({ vcpu, taskCount: placement[vcpu]!, slots: scope.limit, bootThread: bootsBeforeLapic(config, vcpu) })),
  };
}
