import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { costAction, type CostEstimate, type CostEstimator, type CostLine, type UnpricedResource } from '../../kernel/plugin/cost-estimator.js';
import { HOURS_PER_MONTH } from '../../kernel/sessions/cost.js';
import type { PlanJson } from '../../kernel/terraform/plan-json.js';

const comment = z.string().optional();
const price = z.number().nonnegative();
/** Prices keyed by region, location, instance or machine type. */
const priceTable = z.record(z.string().min(1), price);

/** The shape of a price book; `price-book.json` is the built-in one. */
export const PriceBookSchema = z.strictObject({
  $comment: comment,
  source: z.string().min(1),
  asOf: z.string().min(1),
  currency: z.literal('USD'),
  aws: z.strictObject({
    ec2: z.strictObject({ $comment: comment, hourly: z.record(z.string().min(1), priceTable) }),
    ebs: z.strictObject({ $comment: comment, gp3PerGbMonth: priceTable, rootVolumeGb: z.number().positive() }),
    s3: z.strictObject({ $comment: comment, standardPerGbMonth: priceTable, assumedGbStored: z.number().nonnegative() }),
    dynamodb: z.strictObject({
      $comment: comment,
      baseline: z.strictObject({ millionWrites: price, millionReads: price, storageGb: price }),
      prices: z.record(
        z.string().min(1),
        z.strictObject({
          perMillionWrites: price,
          perMillionReads: price,
          storagePerGbMonth: price,
          wcuHourly: price.optional(),
          rcuHourly: price.optional(),
        }),
      ),
    }),
    // Optional, so price books written before these existed still load.
    /** RDS: hourly by region, engine and class; storage per GB-month by region and storage type. */
    rds: z
      .strictObject({
        $comment: comment,
        hourly: z.record(z.string().min(1), z.record(z.string().min(1), priceTable)),
        storagePerGbMonth: z.record(z.string().min(1), priceTable),
      })
      .optional(),
    /**
     * Terraform types AWS bills by use (requests, publishes), with why they are unpriced. They are
     * listed, not priced: the first estimator that prices a resource wins, and one that knows the
     * traffic (the example plugin for SQS) should.
     */
    usageBilled: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** Terraform types AWS does not bill by themselves, each with what is billed instead. */
    noCharge: z.record(z.string().min(1), z.string().min(1)).optional(),
  }),
  google: z.strictObject({
    compute: z.strictObject({ $comment: comment, hourly: z.record(z.string().min(1), priceTable) }),
    storage: z.strictObject({ $comment: comment, standardPerGbMonth: priceTable, assumedGbStored: z.number().nonnegative() }),
  }),
});

/** A validated price book: USD, on-demand list prices. */
export type PriceBook = z.output<typeof PriceBookSchema>;

const MAX_ISSUES = 5;

/** Validates a parsed price book; a bad one throws CONFIG_INVALID naming `source` and the field at fault. */
export function parsePriceBook(raw: unknown, source: string): PriceBook {
  const parsed = PriceBookSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const listed = issues.slice(0, MAX_ISSUES).map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
  if (issues.length > MAX_ISSUES) listed.push(`… and ${issues.length - MAX_ISSUES} more`);
  throw new CloudEngineError(
    ErrorCode.CONFIG_INVALID,
    `Price book ${source} is invalid: ${listed.join('; ')}. Fix the file (src/plugins/cost/price-book.json shows the shape) or unset CLOUD_ENGINE_PRICE_BOOK to use the built-in prices.`,
    { field: fieldPath(issues[0]?.path ?? []), details: { priceBook: source } },
  );
}

/**
 * Prices plans from a price book: EC2, EBS, S3, DynamoDB, RDS, the AWS parts AWS
 * does not bill (VPCs, subnets, IAM, …: $0, saying what is billed instead),
 * Compute Engine, Cloud Storage and the sandbox. Types billed by use (SQS,
 * SNS) are listed as unpriced with the reason, for estimators that know the
 * traffic.
 */
export function createPriceTableEstimator(book: PriceBook): CostEstimator {
  return {
    id: 'price-table',
    estimate({ plan, project }): CostEstimate {
      const lines: CostLine[] = [];
      const unpriced: UnpricedResource[] = [];
      const context: PricingContext = { book, plan, settings: project.settings };
      for (const change of plan.resource_changes ?? []) {
        if (change.mode !== 'managed') continue;
        const action = costAction(change.change.actions);
        const pricer = lookup(PRICERS, change.type) ?? noChargePricer(book, change.type);
        const usage = pricer === undefined ? usageBilledReason(book, change.type) : undefined;
        if (action !== undefined && usage !== undefined) unpriced.push({ address: change.address, reason: usage });
        // Types we do not know are left to other estimators, and then to the kernel's unpriced list.
        if (action === undefined || pricer === undefined) continue;
        const before = action === 'create' ? undefined : pricer(asValues(change.change.before), context);
        const after = action === 'delete' ? undefined : pricer(asValues(change.change.after), context);
        const failed = [after, before].find((side): side is Unpriced => side !== undefined && 'reason' in side);
        if (failed) {
          unpriced.push({ address: change.address, reason: failed.reason });
          continue;
        }
        const was = before as Priced | undefined;
        const now = after as Priced | undefined;
        const beforeMonthly = was ? monthlyOf(was.hourly) : 0;
        const afterMonthly = now ? monthlyOf(now.hourly) : 0;
        lines.push({
          address: change.address,
          type: change.type,
          action,
          hourly: now ? roundTo(now.hourly, 6) : 0,
          monthly: afterMonthly,
          monthlyDelta: roundTo(afterMonthly - beforeMonthly, 2),
          assumption: assumptionOf(now, was),
        });
      }
      return { lines, unpriced };
    },
  };
}

interface Priced {
  readonly hourly: number;
  readonly assumption: string;
}
interface Unpriced {
  readonly reason: string;
}
interface PricingContext {
  readonly book: PriceBook;
  readonly plan: PlanJson;
  readonly settings: Readonly<Record<string, unknown>>;
}
type Values = Readonly<Record<string, unknown>>;
type Pricer = (values: Values, context: PricingContext) => Priced | Unpriced;

const SANDBOX_ASSUMPTION = 'sandbox resource: runs locally, no cloud cost';
const ENGINE_NAMES: Readonly<Record<string, string>> = { postgres: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB' };

const PRICERS: Readonly<Record<string, Pricer>> = {
  aws_instance(values, { book, plan, settings }) {
    const region = awsRegion(settings, plan);
    if (typeof region !== 'string') return region;
    const type = values.instance_type;
    if (typeof type !== 'string') return { reason: 'instance_type is not known until apply, so the instance cannot be priced' };
    const instance = lookup(book.aws.ec2.hourly, region);
    const hourly = instance && lookup(instance, type);
    if (hourly === undefined) return { reason: `no price for instance type ${type} in ${region} in the price book` };
    const gp3 = lookup(book.aws.ebs.gp3PerGbMonth, region);
    if (gp3 === undefined) return { reason: `no gp3 EBS price for ${region} in the price book` };
    // A stated size is priced as planned; an unknown one (computed from the AMI) falls back to the book's assumption.
    const gb = rootVolumeGb(values) ?? book.aws.ebs.rootVolumeGb;
    return { hourly: hourly + (gb * gp3) / HOURS_PER_MONTH, assumption: `${type} on-demand Linux in ${region} + ${gb} GB gp3 root volume` };
  },

  aws_s3_bucket(_values, { book, plan, settings }) {
    const region = awsRegion(settings, plan);
    if (typeof region !== 'string') return region;
    const perGb = lookup(book.aws.s3.standardPerGbMonth, region);
    if (perGb === undefined) return { reason: `no S3 Standard storage price for ${region} in the price book` };
    const gb = book.aws.s3.assumedGbStored;
    return { hourly: (gb * perGb) / HOURS_PER_MONTH, assumption: `${gb} GB stored in S3 Standard in ${region} (requests and transfer not included)` };
  },

  aws_dynamodb_table(values, { book, plan, settings }) {
    const region = awsRegion(settings, plan);
    if (typeof region !== 'string') return region;
    const prices = lookup(book.aws.dynamodb.prices, region);
    if (prices === undefined) return { reason: `no DynamoDB price for ${region} in the price book` };
    const { millionWrites, millionReads, storageGb } = book.aws.dynamodb.baseline;
    const storage = storageGb * prices.storagePerGbMonth;
    // PROVISIONED is the provider's default when billing_mode is left out.
    const mode = typeof values.billing_mode === 'string' ? values.billing_mode : 'PROVISIONED';
    if (mode === 'PAY_PER_REQUEST') {
      const monthly = millionWrites * prices.perMillionWrites + millionReads * prices.perMillionReads + storage;
      return {
        hourly: monthly / HOURS_PER_MONTH,
        assumption: `on-demand in ${region} at a baseline of ${millionWrites}M writes, ${millionReads}M reads and ${storageGb} GB stored a month`,
      };
    }
    if (mode !== 'PROVISIONED') return { reason: `billing_mode ${mode} is not one the price book knows (PAY_PER_REQUEST or PROVISIONED)` };
    if (prices.wcuHourly === undefined || prices.rcuHourly === undefined) {
      return { reason: `no provisioned capacity (WCU/RCU) price for DynamoDB in ${region} in the price book` };
    }
    const wcu = values.write_capacity;
    const rcu = values.read_capacity;
    if (typeof wcu !== 'number' || typeof rcu !== 'number') {
      return { reason: 'read_capacity or write_capacity is not known until apply, so the provisioned table cannot be priced' };
    }
    return {
      hourly: wcu * prices.wcuHourly + rcu * prices.rcuHourly + storage / HOURS_PER_MONTH,
      assumption: `provisioned ${wcu} WCU + ${rcu} RCU in ${region} + ${storageGb} GB stored`,
    };
  },

  aws_db_instance(values, { book, plan, settings }) {
    const region = awsRegion(settings, plan);
    if (typeof region !== 'string') return region;
    const rds = book.aws.rds;
    if (rds === undefined) return { reason: 'the price book has no RDS prices (add an aws.rds section)' };
    const { engine, instance_class: type, allocated_storage: gb } = values;
    if (typeof engine !== 'string' || typeof type !== 'string') return { reason: 'engine or instance_class is not known until apply, so the database cannot be priced' };
    if (typeof gb !== 'number') return { reason: 'allocated_storage is not known until apply, so the database cannot be priced' };
    const engines = lookup(rds.hourly, region);
    if (engines === undefined) return { reason: `no RDS prices for ${region} in the price book` };
    const classes = lookup(engines, engine);
    const hourly = classes && lookup(classes, type);
    if (hourly === undefined) return { reason: `no price for RDS ${engine} on ${type} in ${region} in the price book` };
    // gp2 is what RDS gives a database that names no storage type.
    const storageType = typeof values.storage_type === 'string' && values.storage_type !== '' ? values.storage_type : 'gp2';
    const storage = lookup(rds.storagePerGbMonth, region);
    const perGb = storage && lookup(storage, storageType);
    if (perGb === undefined) return { reason: `no price for RDS ${storageType} storage in ${region} in the price book` };
    // Multi-AZ runs and stores a standby copy: twice both.
    const copies = values.multi_az === true ? 2 : 1;
    return {
      hourly: copies * (hourly + (gb * perGb) / HOURS_PER_MONTH),
      assumption: `${type} ${lookup(ENGINE_NAMES, engine) ?? engine} on-demand ${copies === 2 ? 'Multi-AZ' : 'single-AZ'} in ${region} + ${gb} GB ${storageType} storage (backups beyond its size, I/O and transfer not included)`,
    };
  },

  google_compute_instance(values, { book, settings }) {
    const raw = values.machine_type;
    if (typeof raw !== 'string') return { reason: 'machine_type is not known until apply, so the instance cannot be priced' };
    // State may hold a full URL (…/machineTypes/e2-medium); the price book is keyed by the short name.
    const type = raw.slice(raw.lastIndexOf('/') + 1);
    const region = googleRegion(values, settings);
    if (region === undefined) return { reason: 'the instance has no zone and the project sets no google zone or region, so its region is unknown' };
    const machines = lookup(book.google.compute.hourly, region);
    const hourly = machines && lookup(machines, type);
    if (hourly === undefined) return { reason: `no price for machine type ${type} in ${region} in the price book` };
    return { hourly, assumption: `${type} on-demand in ${region} (boot disk not included)` };
  },

  google_storage_bucket(values, { book }) {
    const location = typeof values.location === 'string' ? values.location : undefined;
    if (location === undefined) return { reason: 'location is not known until apply, so the bucket cannot be priced' };
    // Google treats locations case-insensitively (US = us); the book writes multi-regions upper case.
    const key = Object.keys(book.google.storage.standardPerGbMonth).find((name) => name.toLowerCase() === location.toLowerCase());
    const perGb = key === undefined ? undefined : lookup(book.google.storage.standardPerGbMonth, key);
    if (perGb === undefined) return { reason: `no Cloud Storage Standard price for location ${location} in the price book` };
    const gb = book.google.storage.assumedGbStored;
    return { hourly: (gb * perGb) / HOURS_PER_MONTH, assumption: `${gb} GB stored in Cloud Storage Standard in ${location} (operations and transfer not included)` };
  },

  terraform_data() {
    return { hourly: 0, assumption: SANDBOX_ASSUMPTION };
  },
};

/** Why a type billed by use is unpriced, when the book lists it. */
function usageBilledReason(book: PriceBook, type: string): string | undefined {
  return book.aws.usageBilled === undefined || type === '$comment' ? undefined : lookup(book.aws.usageBilled, type);
}

/** A pricer for a type the book lists as not billed by AWS itself; undefined for any other type. */
function noChargePricer(book: PriceBook, type: string): Pricer | undefined {
  const why = book.aws.noCharge === undefined || type === '$comment' ? undefined : lookup(book.aws.noCharge, type);
  return why === undefined ? undefined : () => ({ hourly: 0, assumption: why });
}

function assumptionOf(now: Priced | undefined, was: Priced | undefined): string {
  if (now === undefined) return `deleted: ${was?.assumption ?? ''}`;
  if (was === undefined || was.assumption === now.assumption) return now.assumption;
  return `${now.assumption} (was ${was.assumption})`;
}

/** The project's region wins; the plan's own provider block is the fallback for projects without one. */
function awsRegion(settings: Readonly<Record<string, unknown>>, plan: PlanJson): string | Unpriced {
  if (typeof settings.region === 'string' && settings.region !== '') return settings.region;
  const fromPlan = path(plan.configuration, ['provider_config', 'aws', 'expressions', 'region', 'constant_value']);
  if (typeof fromPlan === 'string' && fromPlan !== '') return fromPlan;
  return { reason: "no AWS region: the project has no region setting and the plan's aws provider sets none" };
}

function googleRegion(values: Values, settings: Readonly<Record<string, unknown>>): string | undefined {
  const zone = typeof values.zone === 'string' && values.zone !== '' ? values.zone : settings.zone;
  // A zone is its region plus a letter: europe-west1-b is in europe-west1.
  if (typeof zone === 'string' && /-[a-z]$/.test(zone)) return zone.slice(0, -2);
  return typeof settings.region === 'string' && settings.region !== '' ? settings.region : undefined;
}

function rootVolumeGb(values: Values): number | undefined {
  const device = path(values, ['root_block_device', 0, 'volume_size']);
  return typeof device === 'number' && device > 0 ? device : undefined;
}

function asValues(value: unknown): Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Values) : {};
}

function path(value: unknown, keys: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Own keys only, so a planned value such as "constructor" never finds a prototype member. */
function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function monthlyOf(hourly: number): number {
  return roundTo(hourly * HOURS_PER_MONTH, 2);
}

function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  // toPrecision drops binary noise (823.4999999…) so a half-cent rounds as written.
  return Math.round(Number((value * factor).toPrecision(12))) / factor;
}

function fieldPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return '(the whole file)';
  return segments
    .map((segment, index) => {
      const text = String(segment);
      if (typeof segment === 'number') return `[${text}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(text)) return index === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}
