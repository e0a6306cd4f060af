import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsIamRoleResource, awsIamRoleSchema } from '../../../../src/resources/aws/iam-role.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const SSM = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

function synth(config: unknown) {
  return synthSession({ provider: awsProvider, settings: { region: 'us-east-1' }, resources: [{ type: awsIamRoleResource, name: 'app', config }] });
}

describe('aws.iam_role schema', () => {
  it('defaults to a role EC2 assumes, with no policies', () => {
    expect(awsIamRoleSchema.parse({})).toEqual({ servicePrincipal: 'ec2.amazonaws.com', managedPolicyArns: [] });
  });

  it('reads managed policy ARNs from comma-separated text', () => {
    expect(awsIamRoleSchema.parse({ managedPolicyArns: `${READ_ONLY}, ${SSM}` }).managedPolicyArns).toEqual([READ_ONLY, SSM]);
  });

  it.each([
    [{ servicePrincipal: 'ec2' }, 'servicePrincipal', /service principal such as ec2.amazonaws.com/],
    [{ servicePrincipal: '*' }, 'servicePrincipal', /service principal/],
    [{ managedPolicyArns: 'ReadOnlyAccess' }, 'managedPolicyArns.0', /managed policy ARNs such as/],
    [{ managedPolicyArns: [READ_ONLY, READ_ONLY] }, 'managedPolicyArns', /attached once/],
    [{ roleName: 'has space' }, 'roleName', /1-64 letters/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsIamRoleSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.iam_role synthesis', () => {
  it('emits the role with a trust policy for its service, named after the resource', () => {
    const json = synth({ servicePrincipal: 'lambda.amazonaws.com' });
    const role = json.resource!.aws_iam_role!.app!;
    expect(role.name).toBe('app');
    expect(JSON.parse(role.assume_role_policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(json.output!.app!.value).toEqual({ arn: '${aws_iam_role.app.arn}', name: '${aws_iam_role.app.name}', unique_id: '${aws_iam_role.app.unique_id}' });
  });

  it('attaches each policy under an id of its own ARN, so reordering or removing one leaves the others as they are', () => {
    const both = synth({ managedPolicyArns: [READ_ONLY, SSM] }).resource!.aws_iam_role_policy_attachment!;
    const swapped = synth({ managedPolicyArns: [SSM, READ_ONLY] }).resource!.aws_iam_role_policy_attachment!;
    const one = synth({ managedPolicyArns: [SSM] }).resource!.aws_iam_role_policy_attachment!;
    expect(Object.keys(both)).toHaveLength(2);
    expect(swapped).toEqual(both);
    const [ssmId] = Object.entries(both).find(([, attachment]) => attachment.policy_arn === SSM)!;
    expect(one).toEqual({ [ssmId]: { role: '${aws_iam_role.app.name}', policy_arn: SSM } });
    expect(ssmId).toMatch(/^app-Policy-[0-9a-f]{8}$/);
  });
});
