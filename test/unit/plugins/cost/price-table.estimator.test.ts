import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import type { CostEstimate, CostEstimator } from '../../../../src/kernel/plugin/cost-estimator.js';
import type { PluginContext } from '../../../../src/kernel/plugin/define-plugin.js';
import { estimateCost, formatCost } from '../../../../src/kernel/sessions/cost.js';
import type { ChangeAction, PlanJson, ResourceChange } from '../../../../src/kernel/terraform/plan-json.js';
import { costPlugin, loadPriceBook } from '../../../../src/plugins/cost/cost.plugin.js';
import { createPriceTableEstimator, type PriceBook } from '../../../../src/plugins/cost/price-table.estimator.js';

const BUILTIN_FILE = join(import.meta.dirname, '..', '..', '..', '..', 'src', 'plugins', 'cost', 'price-book.json');
const book = await loadPriceBook();
const estimator = createPriceTableEstimator(book);

function change(type: string, name: string, actions: ChangeAction[], before: unknown, after: unknown, mode: 'managed' | 'data' = 'managed'): ResourceChange {
  return {
    address: `${mode === 'data' ? 'data.' : ''}${type}.${name}`,
    mode,
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/test',
    change: { actions, before, after },
  };
}

function planOf(changes: ResourceChange[], configuration?: Record<string, unknown>): PlanJson {
  return { format_version: '1.2', terraform_version: '1.9.0', resource_changes: changes, ...(configuration ? { configuration } : {}) };
}

async function estimate(plan: PlanJson, settings: Record<string, unknown> = { region: 'us-east-1' }, using: CostEstimator = estimator, provider = 'aws'): Promise<CostEstimate> {
  return using.estimate({ plan, project: { id: 'p', provider, settings } });
}

const create = (type: string, name: string, after: unknown) => change(type, name, ['create'], null, after);

describe('the built-in price book', () => {
  it('loads, validates and says where its prices come from', () => {
    expect(book.currency).toBe('USD');
    expect(book.source).toBe('AWS and Google public on-demand list prices, as of 2025; approximate');
    expect(book.aws.ec2.hourly['us-east-1']?.['t3.micro']).toBe(0.0104);
    expect(book.aws.ec2.hourly['eu-west-1']?.['m5.large']).toBe(0.107);
    expect(book.google.compute.hourly['europe-west1']?.['e2-medium']).toBe(0.036931);
  });

  it('prices every required instance family in every AWS region it lists', () => {
    const sizes = {
      t3: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
      t4g: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
      m5: ['large', 'xlarge', '2xlarge', '4xlarge'],
      m6i: ['large', 'xlarge', '2xlarge', '4xlarge'],
      c5: ['large', 'xlarge', '2xlarge', '4xlarge'],
      r5: ['large', 'xlarge', '2xlarge', '4xlarge'],
    };
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      for (const [family, list] of Object.entries(sizes)) {
        for (const size of list) expect(book.aws.ec2.hourly[region]?.[`${family}.${size}`], `${family}.${size} in ${region}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('price-table estimator on AWS', () => {
  it('prices a new t3.micro in us-east-1 with its 8 GB gp3 root volume', async () => {
    // hourly = 0.0104 + 8 × 0.08 / 730 = 0.0104 + 0.000876712… = 0.011276712… → 0.011277
    // monthly = 0.0104 × 730 + 8 × 0.08 = 7.592 + 0.64 = 8.232 → 8.23
    const result = await estimate(planOf([create('aws_instance', 'web', { instance_type: 't3.micro', ami: 'ami-0123456789abcdef0' })]));
    expect(result).toEqual({
      lines: [
        {
          address: 'aws_instance.web',
          type: 'aws_instance',
          action: 'create',
          hourly: 0.011277,
          monthly: 8.23,
          monthlyDelta: 8.23,
          assumption: 't3.micro on-demand Linux in us-east-1 + 8 GB gp3 root volume',
        },
      ],
      unpriced: [],
    });
  });

  it('uses eu-west-1 prices for compute and storage', async () => {
    // t3.micro: 0.0114 × 730 + 8 × 0.088 = 8.322 + 0.704 = 9.026 → 9.03; hourly 0.0114 + 0.704 / 730 = 0.012364384… → 0.012364
    // m5.large: 0.107 × 730 + 0.704 = 78.11 + 0.704 = 78.814 → 78.81
    const result = await estimate(
      planOf([create('aws_instance', 'a', { instance_type: 't3.micro' }), create('aws_instance', 'b', { instance_type: 'm5.large' })]),
      { region: 'eu-west-1' },
    );
    expect(result.lines.map(({ address, hourly, monthly, assumption }) => ({ address, hourly, monthly, assumption }))).toEqual([
      { address: 'aws_instance.a', hourly: 0.012364, monthly: 9.03, assumption: 't3.micro on-demand Linux in eu-west-1 + 8 GB gp3 root volume' },
      { address: 'aws_instance.b', hourly: 0.107964, monthly: 78.81, assumption: 'm5.large on-demand Linux in eu-west-1 + 8 GB gp3 root volume' },
    ]);
  });

  it('prices an in-place instance type change as an update with the monthly difference', async () => {
    // before t3.micro 8.23; after t3.medium 0.0416 × 730 + 0.64 = 30.368 + 0.64 = 31.008 → 31.01; delta 31.01 − 8.23 = 22.78
    const result = await estimate(planOf([change('aws_instance', 'web', ['update'], { instance_type: 't3.micro' }, { instance_type: 't3.medium' })]));
    expect(result.lines[0]).toMatchObject({
      action: 'update',
      hourly: 0.042477,
      monthly: 31.01,
      monthlyDelta: 22.78,
      assumption: 't3.medium on-demand Linux in us-east-1 + 8 GB gp3 root volume (was t3.micro on-demand Linux in us-east-1 + 8 GB gp3 root volume)',
    });
  });

  it('prices a replacement (delete then create) from both sides', async () => {
    // before m5.large 0.096 × 730 + 0.64 = 70.08 + 0.64 = 70.72; after c5.large 0.085 × 730 + 0.64 = 62.05 + 0.64 = 62.69
    // delta 62.69 − 70.72 = −8.03
    const result = await estimate(planOf([change('aws_instance', 'web', ['delete', 'create'], { instance_type: 'm5.large' }, { instance_type: 'c5.large' })]));
    expect(result.lines[0]).toMatchObject({ action: 'replace', monthly: 62.69, monthlyDelta: -8.03 });
    const createFirst = await estimate(planOf([change('aws_instance', 'web', ['create', 'delete'], { instance_type: 'm5.large' }, { instance_type: 'c5.large' })]));
    expect(createFirst.lines[0]?.action).toBe('replace');
  });

  it('prices a delete at 0 going forward and the whole former price as the saving', async () => {
    // r5.large: 0.126 × 730 + 0.64 = 91.98 + 0.64 = 92.62
    const result = await estimate(planOf([change('aws_instance', 'db', ['delete'], { instance_type: 'r5.large' }, null)]));
    expect(result.lines[0]).toEqual({
      address: 'aws_instance.db',
      type: 'aws_instance',
      action: 'delete',
      hourly: 0,
      monthly: 0,
      monthlyDelta: -92.62,
      assumption: 'deleted: r5.large on-demand Linux in us-east-1 + 8 GB gp3 root volume',
    });
  });

  it('prices a stated root volume size instead of the 8 GB assumption', async () => {
    // 0.0104 × 730 + 30 × 0.08 = 7.592 + 2.4 = 9.992 → 9.99
    const result = await estimate(planOf([create('aws_instance', 'web', { instance_type: 't3.micro', root_block_device: [{ volume_size: 30 }] })]));
    expect(result.lines[0]).toMatchObject({ monthly: 9.99, assumption: 't3.micro on-demand Linux in us-east-1 + 30 GB gp3 root volume' });
  });

  it("falls back to the plan's aws provider region when the project sets none", async () => {
    const configuration = { provider_config: { aws: { name: 'aws', expressions: { region: { constant_value: 'eu-west-1' } } } } };
    const result = await estimate(planOf([create('aws_instance', 'web', { instance_type: 't3.micro' })], configuration), {});
    expect(result.lines[0]).toMatchObject({ monthly: 9.03, assumption: expect.stringContaining('in eu-west-1') });
  });

  it('lists an unknown instance type as unpriced, naming the type and region', async () => {
    const result = await estimate(planOf([create('aws_instance', 'big', { instance_type: 'x9.huge' })]));
    expect(result).toEqual({ lines: [], unpriced: [{ address: 'aws_instance.big', reason: 'no price for instance type x9.huge in us-east-1 in the price book' }] });
  });

  it('lists a region the book does not cover, or no region at all, as unpriced with the reason', async () => {
    const plan = planOf([create('aws_instance', 'web', { instance_type: 't3.micro' }), create('aws_s3_bucket', 'logs', { bucket: 'logs' })]);
    const far = await estimate(plan, { region: 'ap-south-1' });
    expect(far.lines).toEqual([]);
    expect(far.unpriced).toEqual([
      { address: 'aws_instance.web', reason: 'no price for instance type t3.micro in ap-south-1 in the price book' },
      { address: 'aws_s3_bucket.logs', reason: 'no S3 Standard storage price for ap-south-1 in the price book' },
    ]);
    const nowhere = await estimate(plan, {});
    expect(nowhere.unpriced[0]?.reason).toBe("no AWS region: the project has no region setting and the plan's aws provider sets none");
  });

  it('an update to an unpriceable type is unpriced rather than half-priced', async () => {
    const result = await estimate(planOf([change('aws_instance', 'web', ['update'], { instance_type: 't3.micro' }, { instance_type: 'x9.huge' })]));
    expect(result.lines).toEqual([]);
    expect(result.unpriced[0]?.reason).toContain('x9.huge');
  });

  it('prices an S3 bucket at the stated 50 GB of Standard storage', async () => {
    // 50 × 0.023 = 1.15 a month; hourly 1.15 / 730 = 0.001575342… → 0.001575
    const result = await estimate(planOf([create('aws_s3_bucket', 'assets', { bucket: 'assets' })]));
    expect(result.lines[0]).toMatchObject({
      hourly: 0.001575,
      monthly: 1.15,
      monthlyDelta: 1.15,
      assumption: '50 GB stored in S3 Standard in us-east-1 (requests and transfer not included)',
    });
  });

  it('prices an on-demand DynamoDB table at the stated baseline traffic', async () => {
    // us-east-1: 1 × 1.25 + 5 × 0.25 + 1 × 0.25 = 2.75
    // eu-west-1: 1 × 1.4135 + 5 × 0.283 + 1 × 0.283 = 1.4135 + 1.415 + 0.283 = 3.1115 → 3.11
    const plan = planOf([create('aws_dynamodb_table', 'orders', { billing_mode: 'PAY_PER_REQUEST', hash_key: 'id' })]);
    expect((await estimate(plan)).lines[0]).toMatchObject({
      monthly: 2.75,
      assumption: 'on-demand in us-east-1 at a baseline of 1M writes, 5M reads and 1 GB stored a month',
    });
    expect((await estimate(plan, { region: 'eu-west-1' })).lines[0]?.monthly).toBe(3.11);
  });

  it('prices a provisioned DynamoDB table by its capacity units plus baseline storage', async () => {
    // 5 × 0.00065 + 5 × 0.00013 = 0.0039 an hour; 0.0039 × 730 = 2.847, + 1 GB × 0.25 = 3.097 → 3.10
    const result = await estimate(planOf([create('aws_dynamodb_table', 'orders', { billing_mode: 'PROVISIONED', read_capacity: 5, write_capacity: 5 })]));
    expect(result.lines[0]).toMatchObject({ monthly: 3.1, assumption: 'provisioned 5 WCU + 5 RCU in us-east-1 + 1 GB stored' });
  });

  it('leaves types it does not know, and no-op, read and data changes, to others', async () => {
    const result = await estimate(
      planOf([
        create('aws_lambda_function', 'api', { function_name: 'api' }),
        change('aws_instance', 'same', ['no-op'], { instance_type: 't3.micro' }, { instance_type: 't3.micro' }),
        change('aws_ami', 'debian', ['read'], null, {}, 'data'),
      ]),
    );
    expect(result).toEqual({ lines: [], unpriced: [] });
  });

  it('lists SQS queues and SNS topics, billed by use, as unpriced with why: an estimator that knows the traffic prices them', async () => {
    const result = await estimate(planOf([create('aws_sqs_queue', 'jobs', { fifo_queue: false }), change('aws_sns_topic', 'alerts', ['update'], {}, {}), change('aws_sqs_queue', 'same', ['no-op'], {}, {})]));
    expect(result.lines).toEqual([]);
    expect(result.unpriced).toEqual([
      { address: 'aws_sqs_queue.jobs', reason: expect.stringMatching(/^SQS bills requests, not time, .*the example plugin acme.sqs/) },
      { address: 'aws_sns_topic.alerts', reason: expect.stringMatching(/^SNS bills publishes and deliveries, not time/) },
    ]);
  });

  it('lets an estimator that prices a queue win over that reason', async () => {
    const plan = planOf([create('aws_sqs_queue', 'jobs', {})]);
    const requests: CostEstimator = {
      id: 'requests',
      estimate: () => ({ lines: [{ address: 'aws_sqs_queue.jobs', type: 'aws_sqs_queue', action: 'create', hourly: 0.4 / 730, monthly: 0.4, monthlyDelta: 0.4, assumption: '1M requests' }], unpriced: [] }),
    };
    const project = { id: 'p', provider: 'aws', settings: { region: 'us-east-1' } };
    const cost = await estimateCost(plan, [estimator, requests], async (e) => e.estimate({ plan, project }));
    expect(cost).toMatchObject({ monthly: 0.4, unpriced: [] });
  });

  it('prices a new RDS PostgreSQL db.t3.micro by its class and its 20 GB of gp3 storage', async () => {
    // monthly = 0.018 × 730 + 20 × 0.115 = 13.14 + 2.30 = 15.44
    const db = { engine: 'postgres', instance_class: 'db.t3.micro', allocated_storage: 20, storage_type: 'gp3', multi_az: false };
    const result = await estimate(planOf([create('aws_db_instance', 'orders', db)]));
    expect(result).toEqual({
      lines: [
        {
          address: 'aws_db_instance.orders',
          type: 'aws_db_instance',
          action: 'create',
          hourly: 0.021151,
          monthly: 15.44,
          monthlyDelta: 15.44,
          assumption: 'db.t3.micro PostgreSQL on-demand single-AZ in us-east-1 + 20 GB gp3 storage (backups beyond its size, I/O and transfer not included)',
        },
      ],
      unpriced: [],
    });
  });

  it('prices more RDS storage as an update by the difference, Multi-AZ at twice both, and a MySQL class by its own price', async () => {
    const db = { engine: 'postgres', instance_class: 'db.t3.micro', allocated_storage: 20, storage_type: 'gp3' };
    const [grown] = (await estimate(planOf([change('aws_db_instance', 'orders', ['update'], db, { ...db, allocated_storage: 30 })]))).lines;
    expect(grown).toMatchObject({ action: 'update', monthly: 16.59, monthlyDelta: 1.15, assumption: expect.stringContaining('+ 30 GB gp3 storage (') });
    const [twice] = (await estimate(planOf([create('aws_db_instance', 'ha', { ...db, multi_az: true })]))).lines;
    expect(twice).toMatchObject({ monthly: 30.88, assumption: expect.stringContaining('on-demand Multi-AZ in us-east-1') });
    // No storage type in the plan is RDS's default, gp2.
    const [mysql] = (await estimate(planOf([create('aws_db_instance', 'shop', { engine: 'mysql', instance_class: 'db.m5.large', allocated_storage: 100 })]))).lines;
    expect(mysql).toMatchObject({ monthly: 136.33, assumption: expect.stringMatching(/^db.m5.large MySQL on-demand single-AZ in us-east-1 \+ 100 GB gp2 storage/) });
  });

  it('lists an RDS database it cannot price as unpriced with why: region, engine or class missing from the book, storage unknown', async () => {
    const db = { engine: 'postgres', instance_class: 'db.t3.micro', allocated_storage: 20 };
    const unpriced = async (after: Record<string, unknown>, settings?: Record<string, unknown>) =>
      (await estimate(planOf([create('aws_db_instance', 'db', after)]), settings)).unpriced.map((item) => item.reason);
    expect(await unpriced(db, { region: 'eu-west-1' })).toEqual(['no RDS prices for eu-west-1 in the price book']);
    expect(await unpriced({ ...db, engine: 'oracle-ee' })).toEqual(['no price for RDS oracle-ee on db.t3.micro in us-east-1 in the price book']);
    expect(await unpriced({ ...db, instance_class: 'db.x2g.16xlarge' })).toEqual(['no price for RDS postgres on db.x2g.16xlarge in us-east-1 in the price book']);
    expect(await unpriced({ engine: 'postgres', instance_class: 'db.t3.micro' })).toEqual(['allocated_storage is not known until apply, so the database cannot be priced']);
    expect(await unpriced({ ...db, storage_type: 'io2' })).toEqual(['no price for RDS io2 storage in us-east-1 in the price book']);
  });

  it.each(['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_route_table', 'aws_route', 'aws_route_table_association', 'aws_security_group', 'aws_iam_role', 'aws_iam_role_policy_attachment', 'aws_iam_instance_profile', 'aws_iam_role_policy'])(
    'prices %s, which AWS does not bill by itself, at $0 saying what is billed instead',
    async (type) => {
      const [line] = (await estimate(planOf([create(type, 'part', {})]))).lines;
      expect(line).toMatchObject({ address: `${type}.part`, hourly: 0, monthly: 0, monthlyDelta: 0, assumption: expect.stringMatching(/^no charge for /) });
    },
  );
});

describe('price-table estimator on Google Cloud', () => {
  it('derives the region from the zone: europe-west1-b is priced in europe-west1', async () => {
    // e2-medium europe-west1: 0.036931 × 730 = 26.95963 → 26.96
    const result = await estimate(planOf([create('google_compute_instance', 'vm', { machine_type: 'e2-medium', zone: 'europe-west1-b' })]), { project: 'my-project-1', region: 'us-central1' }, estimator, 'google');
    expect(result.lines[0]).toMatchObject({
      hourly: 0.036931,
      monthly: 26.96,
      monthlyDelta: 26.96,
      assumption: 'e2-medium on-demand in europe-west1 (boot disk not included)',
    });
  });

  it('prices us-central1 machine types, and a full machine type URL by its short name', async () => {
    // e2-medium 0.033503 × 730 = 24.45719 → 24.46; n2-standard-2 0.097118 × 730 = 70.89614 → 70.90
    const result = await estimate(
      planOf([
        create('google_compute_instance', 'a', { machine_type: 'e2-medium', zone: 'us-central1-a' }),
        create('google_compute_instance', 'b', { machine_type: 'zones/us-central1-a/machineTypes/n2-standard-2', zone: 'us-central1-a' }),
      ]),
      {},
    );
    expect(result.lines.map((line) => line.monthly)).toEqual([24.46, 70.9]);
  });

  it('lists a machine type missing from the book as unpriced', async () => {
    const result = await estimate(planOf([create('google_compute_instance', 'vm', { machine_type: 'e2-custom-2-4096', zone: 'us-central1-a' })]), {});
    expect(result.unpriced).toEqual([{ address: 'google_compute_instance.vm', reason: 'no price for machine type e2-custom-2-4096 in us-central1 in the price book' }]);
  });

  it('prices buckets by location, case-insensitively, at the stated 50 GB', async () => {
    // US: 50 × 0.026 = 1.30; europe-west1: 50 × 0.020 = 1.00
    const result = await estimate(
      planOf([create('google_storage_bucket', 'us', { location: 'us' }), create('google_storage_bucket', 'eu', { location: 'EUROPE-WEST1' })]),
      {},
    );
    expect(result.lines.map(({ monthly, assumption }) => ({ monthly, assumption }))).toEqual([
      { monthly: 1.3, assumption: '50 GB stored in Cloud Storage Standard in us (operations and transfer not included)' },
      { monthly: 1, assumption: '50 GB stored in Cloud Storage Standard in EUROPE-WEST1 (operations and transfer not included)' },
    ]);
    const mars = await estimate(planOf([create('google_storage_bucket', 'far', { location: 'MARS1' })]), {});
    expect(mars.unpriced[0]?.reason).toBe('no Cloud Storage Standard price for location MARS1 in the price book');
  });
});

describe('price-table estimator on the sandbox', () => {
  it('prices terraform_data at $0 and says why', async () => {
    const result = await estimate(planOf([create('terraform_data', 'web', { input: { kind: 'sandbox.vm' } }), change('terraform_data', 'old', ['delete'], { input: {} }, null)]), {}, estimator, 'sandbox');
    expect(result.unpriced).toEqual([]);
    expect(result.lines.map(({ action, hourly, monthly, monthlyDelta }) => ({ action, hourly, monthly, monthlyDelta }))).toEqual([
      { action: 'create', hourly: 0, monthly: 0, monthlyDelta: 0 },
      { action: 'delete', hourly: 0, monthly: 0, monthlyDelta: 0 },
    ]);
    expect(result.lines[0]?.assumption).toBe('sandbox resource: runs locally, no cloud cost');
  });
});

describe('combined by the kernel', () => {
  it('adds up to a t3.micro plus a bucket, and what it does not know stays unpriced', async () => {
    const plan = planOf([
      create('aws_instance', 'web', { instance_type: 't3.micro' }),
      create('aws_s3_bucket', 'assets', { bucket: 'assets' }),
      create('aws_lambda_function', 'api', {}),
    ]);
    const project = { id: 'p', provider: 'aws', settings: { region: 'us-east-1' } };
    const cost = await estimateCost(plan, [estimator], async (e) => e.estimate({ plan, project }));
    // hourly 0.011277 + 0.001575 = 0.012852 → 0.0129 (the kernel keeps 4 places); monthly 8.23 + 1.15 = 9.38
    expect(cost).toMatchObject({ currency: 'USD', hourly: 0.0129, monthly: 9.38, monthlyDelta: 9.38 });
    expect(cost.unpriced).toEqual([{ address: 'aws_lambda_function.api', reason: 'no loaded cost estimator prices aws_lambda_function' }]);
    expect(formatCost(cost)).toBe('$0.01/hour | $9.38/month');
  });
});

describe('an override price book', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-engine-price-book-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const builtin = JSON.parse(readFileSync(BUILTIN_FILE, 'utf8')) as PriceBook;

  function writeBook(name: string, edit: (book: PriceBook) => void): string {
    const copy = structuredClone(builtin);
    edit(copy);
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(copy));
    return file;
  }

  async function registered(config: Record<string, unknown>): Promise<CostEstimator[]> {
    const estimators: CostEstimator[] = [];
    const unexpected = () => {
      throw new Error('the cost plugin registered something other than a cost estimator');
    };
    const ctx: PluginContext = {
      pluginId: 'cost',
      config,
      logger: {} as PluginContext['logger'],
      resourceTypes: {} as PluginContext['resourceTypes'],
      addProvider: unexpected,
      addResourceType: unexpected,
      addPolicyValidator: unexpected,
      addCostEstimator: (item) => estimators.push(item),
      addChatAdapter: unexpected,
    };
    await costPlugin.register(ctx);
    return estimators;
  }

  it('registers one price-table estimator from the built-in book when none is set', async () => {
    const [only, ...rest] = await registered({});
    expect(rest).toEqual([]);
    expect(only?.id).toBe('price-table');
    expect((await estimate(planOf([create('aws_instance', 'web', { instance_type: 't3.micro' })]), undefined, only)).lines[0]?.monthly).toBe(8.23);
  });

  it('takes effect when ctx.config.priceBook names it', async () => {
    const file = writeBook('negotiated.json', (copy) => {
      copy.aws.ec2.hourly['us-east-1']!['t3.micro'] = 0.02;
      copy.aws.ebs.gp3PerGbMonth['us-east-1'] = 0.1;
      copy.aws.ebs.rootVolumeGb = 10;
    });
    const [override] = await registered({ priceBook: file });
    // 0.02 × 730 + 10 × 0.1 = 14.6 + 1 = 15.60
    const result = await estimate(planOf([create('aws_instance', 'web', { instance_type: 't3.micro' })]), undefined, override);
    expect(result.lines[0]).toMatchObject({ monthly: 15.6, assumption: 't3.micro on-demand Linux in us-east-1 + 10 GB gp3 root volume' });
  });

  it('a malformed one fails with the file and the field named', async () => {
    const file = writeBook('typo.json', (copy) => {
      (copy.aws.ec2.hourly['us-east-1'] as Record<string, unknown>)['t3.micro'] = 'cheap';
    });
    const error = await registered({ priceBook: file }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudEngineError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'aws.ec2.hourly.us-east-1["t3.micro"]' });
    expect((error as Error).message).toContain(`Price book ${file} is invalid: aws.ec2.hourly.us-east-1["t3.micro"]: Invalid input: expected number, received string`);
  });

  it('a missing section, an unknown key or a wrong currency are named too', async () => {
    const file = writeBook('partial.json', (copy) => {
      delete (copy as Partial<PriceBook>).google;
      (copy.aws.s3 as Record<string, unknown>).assumedGBStored = 50;
      (copy as Record<string, unknown>).currency = 'EUR';
    });
    const message = await loadPriceBook(file).catch((caught: Error) => caught.message);
    expect(message).toContain('currency:');
    expect(message).toContain('aws.s3: Unrecognized key: "assumedGBStored"');
    expect(message).toContain('google: Invalid input');
  });

  it('a book written before the free and usage-billed parts were listed still loads; those types are then left to others', async () => {
    const file = writeBook('older.json', (copy) => {
      delete copy.aws.usageBilled;
      delete copy.aws.noCharge;
    });
    const older = createPriceTableEstimator(await loadPriceBook(file));
    const result = await estimate(planOf([create('aws_sns_topic', 't', {}), create('aws_vpc', 'main', {})]), undefined, older);
    expect(result).toEqual({ lines: [], unpriced: [] });
  });

  it('a book without RDS prices still loads; a database is then unpriced, saying the book has none', async () => {
    const file = writeBook('no-rds.json', (copy) => {
      delete copy.aws.rds;
    });
    const older = createPriceTableEstimator(await loadPriceBook(file));
    const result = await estimate(planOf([create('aws_db_instance', 'db', { engine: 'postgres', instance_class: 'db.t3.micro', allocated_storage: 20 })]), undefined, older);
    expect(result).toEqual({ lines: [], unpriced: [{ address: 'aws_db_instance.db', reason: 'the price book has no RDS prices (add an aws.rds section)' }] });
  });

  it('a missing file or broken JSON is a clear configuration error', async () => {
    const missing = join(dir, 'nope.json');
    await expect(loadPriceBook(missing)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`Cannot read the price book ${missing}`) });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "aws": ');
    await expect(loadPriceBook(broken)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`Price book ${broken} is not valid JSON`) });
  });
});
