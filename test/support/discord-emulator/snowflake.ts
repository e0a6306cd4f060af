/**
 * Discord snowflakes. They must be real snowflakes (17–19 decimal digits), not counters:
 * @discordjs/rest derives its rate-limit "major parameter" from `/channels/(\d{17,19})` and
 * `/webhooks/(\d{17,19})/token`, so short ids would silently merge every channel into one
 * limiter bucket and hide rate-limit mistakes.
 */

export const DISCORD_EPOCH = 1_420_070_400_000n;

export class SnowflakeGenerator {
  private increment = 0n;
  private lastTimestamp = 0n;

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let ts = BigInt(this.now());
    // Keep ids strictly increasing even if the emulator clock is moved backwards or two ids
    // are minted in the same millisecond: Discord orders messages and pages history by id.
    if (ts < this.lastTimestamp) ts = this.lastTimestamp;
    if (ts === this.lastTimestamp) {
      this.increment = (this.increment + 1n) & 0xfffn;
      if (this.increment === 0n) ts += 1n;
    } else {
      this.increment = 0n;
    }
    this.lastTimestamp = ts;
    const id = ((ts - DISCORD_EPOCH) << 22n) | (1n << 17n) | (1n << 12n) | this.increment;
    return id.toString();
  }
}

export function snowflakeTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
