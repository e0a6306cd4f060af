// @ts-check
import { costAction, defineCostEstimator, HOURS_PER_MONTH } from 'cloud-engine';

/** @import { CostLine, UnpricedResource } from 'cloud-engine' */

/**
 * SQS bills requests, not time. The figure assumes a steady workload of this
 * many million requests a month at the us-east-1 list price (most regions
 * match); the free tier (1M requests per account) and data transfer are left out.
 */
export const ASSUMED_MILLION_REQUESTS_PER_MONTH = 1;
/** USD per million requests (64 KB chunks), as listed on aws.amazon.com/sqs/pricing. */
export const PRICE_PER_MILLION_REQUESTS = { standard: 0.4, fifo: 0.5 };

/**
 * Prices `aws_sqs_queue` changes in a plan; other resource types are left to
 * other estimators (the kernel lists what nobody prices as unpriced).
 */
export const sqsCostEstimator = defineCostEstimator({
  id: 'acme.sqs-requests',
  estimate({ plan }) {
    /** @type {CostLine[]} */
    const lines = [];
    /** @type {UnpricedResource[]} */
    const unpriced = [];
    for (const change of plan.resource_changes ?? []) {
      if (change.mode !== 'managed' || change.type !== 'aws_sqs_queue') continue;
      const action = costAction(change.change.actions);
      // no-op, read and forget change nothing that is billed.
      if (action === undefined) continue;
      const before = action === 'create' ? undefined : priceOf(change.change.before);
      const after = action === 'delete' ? undefined : priceOf(change.change.after);
      const failed = [after, before].find((side) => side !== undefined && 'reason' in side);
      if (failed && 'reason' in failed) {
        unpriced.push({ address: change.address, reason: failed.reason });
        continue;
      }
      const was = before && 'monthly' in before ? before : undefined;
      const now = after && 'monthly' in after ? after : undefined;
      const monthly = now?.monthly ?? 0;
      lines.push({
        address: change.address,
        type: change.type,
        action,
        hourly: round(monthly / HOURS_PER_MONTH, 6),
        monthly,
        monthlyDelta: round(monthly - (was?.monthly ?? 0), 2),
        assumption: now?.assumption ?? `deleted: ${was?.assumption ?? ''}`,
      });
    }
    return { lines, unpriced };
  },
});

/**
 * The monthly price of one queue from its planned attributes.
 * @param {unknown} values the change's `before` or `after`
 * @returns {{ monthly: number, assumption: string } | { reason: string }}
 */
function priceOf(values) {
  const fifo = values !== null && typeof values === 'object' ? /** @type {Record<string, unknown>} */ (values).fifo_queue : undefined;
  if (typeof fifo !== 'boolean') return { reason: 'fifo_queue is not known until apply, so the request price (standard or FIFO) cannot be chosen' };
  const kind = fifo ? 'fifo' : 'standard';
  const rate = PRICE_PER_MILLION_REQUESTS[kind];
  return {
    monthly: round(ASSUMED_MILLION_REQUESTS_PER_MONTH * rate, 2),
    assumption: `${ASSUMED_MILLION_REQUESTS_PER_MONTH}M requests a month at $${rate.toFixed(2)} per million (${fifo ? 'FIFO' : 'standard'} queue, us-east-1 list price; free tier and data transfer not included)`,
  };
}

/**
 * @param {number} value
 * @param {number} digits
 */
function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
