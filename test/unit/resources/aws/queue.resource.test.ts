import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsQueueResource, awsQueueSchema } from '../../../../src/resources/aws/queue.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown) {
  return synthSession({ provider: awsProvider, settings: { region: 'us-east-1' }, resources: [{ type: awsQueueResource, name: 'jobs', config }] });
}

describe('aws.queue schema', () => {
  it('defaults to a standard queue with SQS\'s own timeout and retention', () => {
    expect(awsQueueSchema.parse({})).toEqual({ fifo: false, visibilityTimeoutSeconds: 30, retentionSeconds: 345_600 });
  });

  it.each([
    [{ retentionSeconds: 59 }, 'retentionSeconds', /60 \(1 minute\) to 1209600/],
    [{ visibilityTimeoutSeconds: 43_201 }, 'visibilityTimeoutSeconds', /0 to 43200/],
    [{ queueName: 'jobs', fifo: true }, 'queueName', /must end with .fifo/],
    [{ queueName: 'jobs.fifo' }, 'queueName', /set fifo to true/],
    [{ queueName: 'has space' }, 'queueName', /letters, digits/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsQueueSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.queue synthesis', () => {
  it('names the queue after the resource (with .fifo for a FIFO one) and outputs its URL and ARN', () => {
    const json = synth({ fifo: true, retentionSeconds: 86_400, tags: { team: 'jobs' } });
    expect(json.resource!.aws_sqs_queue!.jobs).toEqual({
      name: 'jobs.fifo',
      fifo_queue: true,
      visibility_timeout_seconds: 30,
      message_retention_seconds: 86_400,
      tags: { team: 'jobs' },
    });
    expect(json.output!.jobs!.value).toEqual({ url: '${aws_sqs_queue.jobs.url}', arn: '${aws_sqs_queue.jobs.arn}' });
  });

  it('uses the queue name given', () => {
    expect(synth({ queueName: 'team-a_jobs' }).resource!.aws_sqs_queue!.jobs!.name).toBe('team-a_jobs');
  });
});
