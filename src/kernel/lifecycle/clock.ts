import { token } from '../plugin/token.js';

/** Where the kernel reads the time for what it schedules: tests pass one they can move. */
export interface Clock {
  now(): Date;
}
export const ClockToken = token<Clock>('kernel.clock');

/** The system clock, the default. */
export const systemClock: Clock = { now: () => new Date() };
