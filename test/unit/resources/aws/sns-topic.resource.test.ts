import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsSnsTopicResource, awsSnsTopicSchema } from '../../../../src/resources/aws/sns-topic.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown) {
  return synthSession({ provider: awsProvider, settings: { region: 'us-east-1' }, resources: [{ type: awsSnsTopicResource, name: 'alerts', config }] });
}

describe('aws.sns_topic schema', () => {
  it.each([
    [{ topicName: 'alerts', fifo: true }, 'topicName', /must end with .fifo/],
    [{ topicName: 'alerts.fifo' }, 'topicName', /set fifo to true/],
    [{ displayName: 'x'.repeat(101) }, 'displayName', /at most 100/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsSnsTopicSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.sns_topic synthesis', () => {
  it('names the topic after the resource, passes the display name through literally, and outputs its ARN', () => {
    const json = synth({ fifo: true, displayName: 'Alerts ${env}' });
    expect(json.resource!.aws_sns_topic!.alerts).toEqual({ name: 'alerts.fifo', fifo_topic: true, display_name: 'Alerts $${env}' });
    expect(json.output!.alerts!.value).toEqual({ arn: '${aws_sns_topic.alerts.arn}', name: '${aws_sns_topic.alerts.name}' });
  });
});
