import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

// Terraform evaluates `${…}` and `%{…}` in every JSON string, and cdktf resolves
// its own token markers in them: user text must reach the cloud verbatim anyway.
const HOSTILE = [
  '${var.secret}',
  '%{ if true }yes%{ endif }',
  '${TfToken[TOKEN.1]}',
  '#{TfToken[TOKEN.2]}',
  '$${already-escaped}',
  '$$${triple}',
  '%%{double}',
  '${file("/etc/passwd")}',
  'trailing $',
  'trailing %',
  '$',
  '${',
  '}${}{',
  '"quotes" and \\backslashes\\ and \n newlines',
];

const IMAGE = '${var.x} %{ if true }y%{ endif } ${TfToken[TOKEN.1]} $${z}';

describe('user strings with template and token syntax', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'esc', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(() => t?.dispose());

  it('reach terraform verbatim, as values and as map keys, through a real plan', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'esc');
    const tags = Object.fromEntries(HOSTILE.map((value, index) => [`k${index}`, value]));
    tags['${key}'] = 'key with template syntax';
    tags['%{k}'] = 'another';
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config: { image: IMAGE, tags } });

    const plan = await orchestrator.runPlan(session.id, 'alice');

    const input = plan.planJson.resource_changes?.[0]?.change.after as { input: { tags: Record<string, string>; image: string } };
    expect(input.input.tags).toEqual(tags);
    expect(input.input.image).toBe(IMAGE);
  });

  it('are stored exactly as typed, not in escaped form', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'esc');
    const view = await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b', config: { tags: { t: '${x}' } } });
    expect(view.resources[0]!.config).toEqual({ tags: { t: '${x}' } });
  });
});
