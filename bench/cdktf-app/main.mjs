// The hand-written cdktf app the bench compares `cdktf plan` against: the same
// resources, provider settings, backend and outputs the kernel synthesizes for a
// session (see bench/src/spec.ts). BENCH_SPEC names a JSON file:
//   { "sessionId": "...", "provider": "sandbox" | "aws", "settings": {...},
//     "resources": [{ "name": "...", "type": "sandbox.vm" | "aws.s3_bucket", "config": {...} }] }
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { App, DataResource, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';

const spec = JSON.parse(readFileSync(process.env.BENCH_SPEC ?? 'spec.json', 'utf8'));
const SIZES = { small: { vcpus: 1, memoryMb: 2048 }, medium: { vcpus: 2, memoryMb: 4096 }, large: { vcpus: 4, memoryMb: 8192 } };

function privateIp(sessionId, name) {
  const d = createHash('sha256').update(`${sessionId}\0${name}`).digest();
  return `10.${d[0]}.${d[1]}.${(d[2] % 254) + 1}`;
}

const app = new App();
const stack = new TerraformStack(app, 'session');
new LocalBackend(stack, { path: 'terraform.tfstate' });
if (spec.provider === 'aws') {
  new AwsProvider(stack, 'aws', {
    region: spec.settings.region,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: 'true',
    skipRegionValidation: true,
  });
}
for (const { name, type, config } of spec.resources) {
  let value;
  if (type === 'sandbox.vm') {
    const size = config.size ?? 'small';
    const image = config.image ?? 'debian-12';
    const ip = privateIp(spec.sessionId, name);
    const vm = new DataResource(stack, name, {
      input: { kind: 'sandbox.vm', name, size, ...SIZES[size], image, bootSeconds: config.bootSeconds ?? 0, privateIp: ip, tags: config.tags ?? {} },
      triggersReplace: { image },
    });
    value = { id: vm.id, ip };
  } else if (type === 'aws.s3_bucket') {
    const bucket = new S3Bucket(stack, name, { bucket: config.bucket });
    value = { id: bucket.id, arn: bucket.arn };
  } else {
    throw new Error(`bench cdktf app: unsupported type ${type}`);
  }
  new TerraformOutput(stack, `out-${name}`, { value }).overrideLogicalId(name);
}
app.synth();
