/**
 * One step in progress: a mutable working copy of the state, and the routing
 * of what the machines emit to the machines it concerns (a guest's store to
 * the shared area reaches its host, a host's queued work starts a token
 * observer, and so on). Steps (steps/*.ts) send the first events; the draft
 * does the rest and freezes the next state.
 */
import type { DesignOptions } from '../../machines/design.js';
import type { Send } from '../../machines/routing.js';
import type { GuestContext, GuestEffect, GuestEvent } from '../../machines/guest.js';
import { WAKE_ALL, type HostContext, type HostEffect, type HostEvent } from '../../machines/host.js';
import type { TokenContext, TokenEvent, TokenInput } from '../../machines/token.js';
import type { VmContext, VmEvent } from '../../machines/vm.js';
import { ModelError } from '../errors.js';
import { machinesOf, type DesignMachines, type MachineKind } from './machines.js';
import { formatToken, guestView, machineTokens, tokenOrder, type ComponentState, type SystemState } from './state.js';

/**
 * What one step did to the machine instances, in the order the machines
 * took the events (an event is logged before the ones its effects cause):
 * for replaying a trace through live actors (`apfcheck inspect`) and drawing
 * it (`apfcheck report`). Host and guest instances are numbered by vCPU,
 * token observers by token, the one VM instance 0.
 */
export type ComponentRecord =
  | {
      readonly kind: 'event';
      readonly machine: MachineKind;
      readonly instance: number;
      readonly event: HostEvent | GuestEvent | TokenEvent | VmEvent;
      readonly from: ComponentState<unknown>;
      readonly next: ComponentState<unknown>;
    }
  | { readonly kind: 'start'; readonly machine: 'token'; readonly instance: number; readonly input: TokenInput }
  | { readonly kind: 'stop'; readonly machine: 'token'; readonly instance: number };

export type ComponentLog = (record: ComponentRecord) => void;

/** Token-lifecycle host states after which nothing more happens to the work item. */
const FINISHED_HOST_STATES: ReadonlySet<string> = new Set(['acked', 'dropped', 'cancelled']);

/** A mutable working copy of the state for the duration of one step. */
export class Draft {
  readonly hosts: ComponentState<HostContext>[];
  readonly guests: ComponentState<GuestContext>[];
  tokens: ComponentState<TokenContext>[];
  readonly resident: boolean[];
  vmState: ComponentState<VmContext>;
  private readonly machines: DesignMachines;

  constructor(
    readonly base: SystemState,
    private readonly log: ComponentLog | undefined,
  ) {
    this.hosts = [...base.hosts];
    this.guests = [...base.guests];
    this.tokens = [...base.tokens];
    this.resident = [...base.resident];
    this.vmState = base.vm;
    this.machines = machinesOf(base.config.design);
  }

  get design(): DesignOptions {
    return this.base.config.design;
  }

  host(v: number, event: HostEvent): void {
    const result = this.machines.host.step(this.hosts[v]!, event);
    this.hosts[v] = result.next;
    this.log?.({ kind: 'event', machine: 'host', instance: v, event, from: result.from, next: result.next });
    for (const effect of result.effects) this.onHostEffect(v, effect);
  }

  guest(v: number, event: GuestEvent): void {
    const result = this.machines.guest.step(this.guests[v]!, event);
    this.guests[v] = result.next;
    this.log?.({ kind: 'event', machine: 'guest', instance: v, event, from: result.from, next: result.next });
    for (const effect of result.effects) this.onGuestEffect(v, effect);
  }

  /** Sends the VM-wide interrupt state an event. */
  vm(event: VmEvent): void {
    const result = this.machines.vm.step(this.vmState, event);
    this.vmState = result.next;
    this.log?.({ kind: 'event', machine: 'vm', instance: 0, event, from: result.from, next: result.next });
  }

  /**
   * Steps the observer of vCPU `v`'s `token` (two vCPUs' tokens can be equal when a design's shift is 0). `~0` names no
   * work item, nor does 0: a handler that read an empty slot, `kvm_async_pf_task_wake(0)` (another handler took the
   * event first and zeroed the area: pre-5.8's unchecked PAGE_READY write read by the #PF handler before the page-ready
   * interrupt of a hybrid design); `alloc_apf_token` never makes 0.
   */
  token(v: number, token: number, event: TokenEvent): void {
    if (token === WAKE_ALL || token === 0) return;
    const index = this.tokens.findIndex((t) => t.context.token === token && t.context.vcpu === v);
    if (index < 0) throw new ModelError(`no token observer for ${formatToken(token)} (event ${event.type})`);
    const result = this.machines.token.step(this.tokens[index]!, event);
    this.tokens[index] = result.next;
    this.log?.({ kind: 'event', machine: 'token', instance: token, event, from: result.from, next: result.next });
  }

  private onHostEffect(v: number, effect: HostEffect): void {
    switch (effect.type) {
      case 'fault.sync':
        this.resident[effect.gfn] = true;
        return;
      case 'work.queued': {
        const input: TokenInput = { token: effect.token, vcpu: v, gfn: effect.gfn, notified: effect.injected };
        this.log?.({ kind: 'start', machine: 'token', instance: effect.token, input });
        const observer = this.machines.token.initial(input);
        this.tokens = [...this.tokens, observer].sort(tokenOrder);
        return;
      }
      case 'work.dequeued':
        this.token(v, effect.token, { type: 'DEQUEUED', delivered: effect.delivered });
        return;
      case 'work.cancelled':
        for (const token of effect.tokens) {
          this.token(v, token, { type: 'CANCELLED', workerRunning: effect.workerRunning.includes(token) });
        }
        return;
      case 'notPresent.cancelled':
        this.token(v, effect.token, { type: 'NOT_PRESENT_CANCELLED' });
        return;
      case 'send':
        this.send(effect);
        return;
    }
  }

  /** Delivers a machine's `send` effect to the instance it addresses (machines/routing.ts). */
  private send({ address, event }: Send): void {
    switch (address.to) {
      case 'vm':
        this.vm(event as VmEvent);
        return;
      case 'guests':
        for (let v = 0; v < this.guests.length; v++) this.guest(v, event as GuestEvent);
        return;
      case 'token':
        this.token(address.vcpu, address.token, event as TokenEvent);
        return;
    }
  }

  private onGuestEffect(v: number, effect: GuestEffect): void {
    switch (effect.type) {
      case 'area.clear':
        this.host(v, { type: 'GUEST_CLEARS_AREA', reason: effect.reason, token: effect.token });
        return;
      case 'notPresent.seen':
        this.token(v, effect.token, { type: 'GUEST_NOT_PRESENT', outcome: effect.outcome });
        return;
      case 'pageReady.seen':
        this.token(v, effect.token, { type: 'GUEST_PAGE_READY', outcome: effect.outcome });
        if (this.design.ack === 'none' && effect.outcome !== 'ignored') this.releaseSlot(v, effect.token);
        return;
      case 'wakeAll.local':
        for (const token of effect.tokens) this.token(v, token, { type: 'GUEST_WOKEN_BY_ALL' });
        return;
      case 'apf.enable':
        this.host(v, { type: 'APF_ENABLE', sendAlways: effect.sendAlways || this.base.config.scope.sendAlways });
        return;
      case 'apf.disable':
        this.host(v, { type: 'APF_DISABLE' });
        return;
      case 'ack':
        this.host(v, { type: 'ACK', guest: guestView(this.guests[v]!) });
        return;
      case 'send':
        this.send(effect);
        return;
    }
  }

  /** The guest freed the slot that carried `token`'s page-ready. */
  releaseSlot(v: number, token: number): void {
    const observer = this.tokens.find((t) => t.context.token === token && t.context.vcpu === v);
    if (observer !== undefined && (observer.value as { host: string }).host === 'delivered') {
      this.token(v, token, { type: 'SLOT_RELEASED' });
    }
  }

  /** Drops observers whose story is over: host side final, the token referenced nowhere, no worker still on the freed item. */
  collectTokens(): void {
    const referenced = new Map<number, Set<number>>(); // per vCPU, computed once when needed
    this.tokens = this.tokens.filter((t) => {
      if (!FINISHED_HOST_STATES.has((t.value as { host: string }).host) || t.context.freedWhileWorkerRan) return true;
      const v = t.context.vcpu;
      let tokens = referenced.get(v);
      if (tokens === undefined) {
        tokens = machineTokens({ hosts: this.hosts, guests: this.guests, vm: this.vmState }, v);
        referenced.set(v, tokens);
      }
      if (tokens.has(t.context.token)) return true;
      this.log?.({ kind: 'stop', machine: 'token', instance: t.context.token });
      return false;
    });
  }

  freeze(): SystemState {
    return { config: this.base.config, hosts: this.hosts, guests: this.guests, tokens: this.tokens, resident: this.resident, vm: this.vmState };
  }
}
