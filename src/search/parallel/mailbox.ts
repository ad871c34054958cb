/**
 * Synchronous messaging between threads, so the exhaustive search (a
 * synchronous loop) can run across worker threads: messages go through
 * MessagePorts read with `receiveMessageOnPort`, and a sender rings the
 * receiving thread's doorbell, an integer in shared memory it sleeps on.
 */
import { receiveMessageOnPort, type MessagePort, type Transferable } from 'node:worker_threads';

export class Mailbox {
  private readonly bells: Int32Array;

  /** `bells` holds one doorbell per thread; this thread's is number `own`. */
  constructor(
    bells: SharedArrayBuffer,
    private readonly own: number,
  ) {
    this.bells = new Int32Array(bells);
  }

  /** Posts `message` to thread `to` through `port` and wakes it. */
  send(port: MessagePort, to: number, message: unknown, transfer: readonly Transferable[] = []): void {
    port.postMessage(message, transfer as Transferable[]);
    Atomics.add(this.bells, to, 1);
    Atomics.notify(this.bells, to);
  }

  /** The next message on `port` if one is there. */
  poll(port: MessagePort): unknown {
    return receiveMessageOnPort(port)?.message;
  }

  /** Sleeps until this thread's bell rings after `rung` was read, or `timeoutMs` pass. */
  wait(rung: number, timeoutMs?: number): void {
    Atomics.wait(this.bells, this.own, rung, timeoutMs);
  }

  /** This thread's bell, to read before polling (a message posted after it was read wakes `wait`). */
  get rung(): number {
    return Atomics.load(this.bells, this.own);
  }

  /** The next message on `port`, sleeping until there is one. */
  receive(port: MessagePort): unknown {
    for (;;) {
      const rung = this.rung;
      const message = this.poll(port);
      if (message !== undefined) return message;
      this.wait(rung);
    }
  }
}
