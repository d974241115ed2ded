/**
 * The parts a process started, stopped in the reverse of the order they
 * started, each once however often stop is asked for (a failed start and a
 * signal may both ask), and each logged as it stops when it does not log
 * that itself.
 */
import type { Logger } from 'pino';

/** One part: how to stop it, and what to log once it has stopped (nothing when the part logs it). */
interface Part {
  readonly stop: () => void | Promise<void>;
  readonly stopped?: string;
}

/** Parts to stop, last started first. */
export class StopList {
  private readonly parts: Part[] = [];

  constructor(private readonly logger: Logger) {}

  /** Adds a part that has started; `stopped` is logged after it stops. */
  add(stop: () => void | Promise<void>, stopped?: string): void {
    this.parts.push({ stop, stopped });
  }

  /** Stops every part added so far, last first; a part is stopped once only. */
  async stopAll(): Promise<void> {
    for (const part of this.parts.splice(0).reverse()) {
      await part.stop();
      if (part.stopped !== undefined) this.logger.info(part.stopped);
    }
  }
}
