/** A clock tests move by hand (`createKernel({ clock })`): everything the kernel schedules reads it, so nothing sleeps for hours. */
export class TestClock {
  private at = Date.now();

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }

  /** When it is `ms` after `start`. */
  set(start: Date, ms: number): void {
    this.at = start.getTime() + ms;
  }
}
