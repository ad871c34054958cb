/**
 * ComponentStepper on a machine of the test's own: an event no transition
 * takes is a model error, an event a targetless, action-less transition
 * takes ("forbidden" in XState's words) is a step that changes nothing, and
 * a memoised step gives the same answer as the first.
 */
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { ModelError } from '../src/errors.js';
import { ComponentStepper } from '../src/system/component.js';

const machine = createMachine({
  id: 'door',
  initial: 'shut',
  context: { opened: 0 },
  states: {
    shut: { on: { OPEN: 'open', KNOCK: {} } },
    open: { on: { SHUT: 'shut' } },
  },
});

describe('ComponentStepper', () => {
  const stepper = new ComponentStepper(machine);
  const shut = stepper.initial(undefined);

  it('steps an event a transition takes', () => {
    const step = stepper.step(shut, { type: 'OPEN' });
    expect(step.next.value).toBe('open');
    expect(stepper.step(shut, { type: 'OPEN' })).toBe(step);
  });

  it('takes an event a forbidden transition selects as a step that changes nothing', () => {
    expect(stepper.step(shut, { type: 'KNOCK' }).next).toBe(shut);
  });

  it('refuses an event no transition takes, as a model error naming the state and the event', () => {
    expect(() => stepper.step(shut, { type: 'SHUT' })).toThrow(ModelError);
    expect(() => stepper.step(shut, { type: 'SHUT' })).toThrow('door in "shut" does not accept {"type":"SHUT"}');
    // the refusal is not memoised as a step
    const open = stepper.step(shut, { type: 'OPEN' }).next;
    expect(stepper.step(open, { type: 'SHUT' }).next).toBe(shut);
  });

  it("refuses XState's reserved init event like any event no transition takes, whatever the step before it selected", () => {
    const open = stepper.step(shut, { type: 'OPEN' }).next;
    stepper.step(open, { type: 'SHUT' });
    expect(() => stepper.step(shut, { type: 'xstate.init' })).toThrow(ModelError);
    expect(() => stepper.step(shut, { type: 'xstate.init' })).toThrow('door in "shut" does not accept {"type":"xstate.init"}');
  });
});
