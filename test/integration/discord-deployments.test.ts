import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage, InteractionHandle } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

/** The session a lobby message shows (its title is "Deployment <session>"). */
const sessionOf = (message: EmulatedMessage | undefined) => String(message?.embeds[0]?.title ?? '').replace('Deployment ', '');

/** Everything `handle` showed only to its user: its reply and follow-ups. */
const privateTo = (handle: InteractionHandle): EmulatedMessage[] => [handle.originalMessage(), ...handle.followUps()].filter((message): message is EmulatedMessage => message?.ephemeral === true);

/** The text inputs of a modal a handle was answered with: custom id → { value, placeholder, label }. */
function modalInputs(handle: InteractionHandle): Record<string, { value?: string; placeholder?: string; label?: string }> {
  const rows = (handle.modal()?.components ?? []) as { components: { custom_id: string; value?: string; placeholder?: string; label?: string }[] }[];
  return Object.fromEntries(rows.flatMap((row) => row.components).map((input) => [input.custom_id, { value: input.value, placeholder: input.placeholder, label: input.label }]));
}

describe('a deployment changed and torn down through Discord: Change → Edit Resource → plan → Approve, and Destroy', () => {
  let w: DiscordWorld;
  let first = '';
  let change = '';
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const user of [w.users.alice, w.users.bob]) await kernel.access.grant({ projectId: 'web', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
  });
  afterAll(() => w?.dispose());

  async function approve(sessionId: string): Promise<void> {
    const lobby = w.lobby(sessionId)!;
    const click = w.emulator.clickButton({ user: w.users.bob, message: lobby, customId: button(lobby, 'Approve & Deploy').custom_id });
    expect((await click.response()).type).toBe(6);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'the lobby shows APPLIED');
    await w.bot.idle();
    expect(privateTo(click)).toEqual([]);
  }

  it('/cloud-deploy deployment:shop opens a new deployment named shop; its lobby names it', async () => {
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web', deployment: 'shop' } }).response();
    first = sessionOf(w.lobby());
    expect(embedText(w.lobby(first))).toContain('Deployment: shop');
    expect((await w.t.kernel.deployments.get('shop', undefined, 'web')).openSessionId).toBe(first);
    // Nothing to edit or remove yet, and nothing to change or tear down.
    for (const label of ['Edit Resource', 'Remove Resource']) expect(button(w.lobby(first), label).disabled, label).toBe(true);
    expect(() => button(w.lobby(first), 'Change')).toThrow();
    expect(() => button(w.lobby(first), 'Destroy')).toThrow();
  });

  it('autocompletes the deployment option from the chosen project’s deployments', async () => {
    const handle = w.emulator.autocomplete({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', focused: 'deployment', options: { project: 'web', deployment: 'sh' } });
    await handle.response();
    expect(handle.choices()!.map((choice) => choice.value)).toEqual(['shop']);
    const elsewhere = w.emulator.autocomplete({ user: w.users.mallory, channel: w.channel, name: 'cloud-deploy', focused: 'deployment', options: { project: 'web', deployment: '' } });
    await elsewhere.response();
    expect(elsewhere.choices()).toEqual([]);
  });

  it('a network and a VM in it, approved: the APPLIED lobby offers Change and Destroy', async () => {
    const { orchestrator } = w.t.kernel;
    await orchestrator.addResource(first, w.users.alice.id, { type: 'sandbox.network', name: 'net', config: {} });
    await orchestrator.addResource(first, w.users.alice.id, { type: 'sandbox.vm', name: 'web', config: { size: 'small', network: 'net' } });
    await orchestrator.runPlan(first, w.users.alice.id);
    await w.emulator.waitFor(() => !button(w.lobby(first), 'Approve & Deploy').disabled, 15_000, 'Approve is enabled');
    await approve(first);
    const lobby = w.lobby(first)!;
    expect(button(lobby, 'Change').disabled).toBeFalsy();
    expect(button(lobby, 'Destroy').disabled).toBeFalsy();
    for (const label of ['Add Resource', 'Edit Resource', 'Remove Resource', 'Cancel']) expect(button(lobby, label).disabled, label).toBe(true);
  });

  it('Change posts a new lobby for the channel: a change of shop starting from its current resources', async () => {
    const applied = w.lobby(first)!;
    const click = w.emulator.clickButton({ user: w.users.alice, message: applied, customId: button(applied, 'Change').custom_id });
    expect((await click.response()).type).toBe(4);
    await w.bot.idle();
    change = sessionOf(w.lobby());
    expect(change).not.toBe(first);
    const lobby = w.lobby(change)!;
    expect(lobby.ephemeral).toBe(false);
    const text = embedText(lobby);
    expect(text).toContain('Deployment: shop');
    expect(text).toContain('Draft');
    expect(text).toContain('**net** — sandbox.network');
    expect(text).toMatch(/\*\*web\*\* — sandbox\.vm \(size=small, .*network=net\)/);
    expect(button(lobby, 'Edit Resource').disabled).toBeFalsy();
    expect((await w.t.kernel.orchestrator.getSession(change)).deploymentName).toBe('shop');
  });

  it('Change while that change is open is refused privately with the kernel’s words: who holds it and since when', async () => {
    const applied = w.lobby(first)!;
    const click = w.emulator.clickButton({ user: w.users.bob, message: applied, customId: button(applied, 'Change').custom_id });
    expect((await click.response()).type).toBe(4);
    await w.bot.idle();
    const [refusal] = privateTo(click);
    expect(refusal?.visibleTo).toBe(w.users.bob.id);
    const text = embedText(refusal);
    expect(text).toContain('Busy');
    expect(text).toContain(`Deployment shop already has an open change: session ${change} by ${w.users.alice.id}, DRAFT since `);
    expect(sessionOf(w.lobby())).toBe(change);
  });

  it('Remove Resource of the network the VM is in: refused privately, naming the VM, and nothing changes', async () => {
    const lobby = w.lobby(change)!;
    const click = w.emulator.clickButton({ user: w.users.alice, message: lobby, customId: button(lobby, 'Remove Resource').custom_id });
    await click.response();
    const picker = click.originalMessage()!;
    expect(picker.ephemeral).toBe(true);
    const pick = w.emulator.selectMenu({ user: w.users.alice, message: picker, customId: `ce:remove-pick:${change}`, values: ['net'] });
    expect((await pick.response()).type).toBe(4);
    await w.bot.idle();
    const [refusal] = privateTo(pick);
    expect(embedText(refusal)).toContain('Invalid input');
    expect(embedText(refusal)).toContain('"net" cannot be removed while web refers to it');
    expect((await w.t.kernel.orchestrator.getSession(change)).resources.map((resource) => resource.name).sort()).toEqual(['net', 'web']);
  });

  it('Edit Resource: pick the VM, a modal prefilled with its config and the network’s candidates; the plan updates it in place', async () => {
    const lobby = w.lobby(change)!;
    const click = w.emulator.clickButton({ user: w.users.alice, message: lobby, customId: button(lobby, 'Edit Resource').custom_id });
    await click.response();
    const picker = click.originalMessage()!;
    expect(JSON.stringify(picker.components)).toContain('"value":"web"');
    const pick = w.emulator.selectMenu({ user: w.users.alice, message: picker, customId: `ce:edit-pick:${change}`, values: ['web'] });
    expect((await pick.response()).type).toBe(9); // MODAL
    expect(pick.modal()!.title).toBe('Edit web (sandbox.vm)');
    const inputs = modalInputs(pick);
    // The name is not an input (a resource keeps its name); the reference lists what it may name.
    expect(Object.keys(inputs).sort()).toEqual(['bootSeconds', 'image', 'network', 'size']);
    expect(inputs.size?.value).toBe('small');
    expect(inputs.image?.value).toBe('debian-12');
    expect(inputs.network).toMatchObject({ value: 'net', placeholder: 'sandbox.network: net' });

    const submitted = w.emulator.submitModal({ user: w.users.alice, customId: `ce:edit-modal:${change}:web`, fields: { size: 'large', image: 'debian-12', bootSeconds: '0', network: 'net' } });
    await submitted.response();
    await w.bot.idle();
    expect(submitted.originalMessage()?.content).toContain('Changed **web** (sandbox.vm); planning…');
    await w.emulator.waitFor(() => embedText(w.lobby(change)).includes('Plan ready'), 15_000, 'the lobby shows the plan');
    const text = embedText(w.lobby(change));
    expect(text).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(text).toContain('~ terraform_data.web (update in place)');
    expect(text).toContain('This change: ±$0.00/month');
    expect(text).toMatch(/\*\*web\*\* — sandbox\.vm \(size=large/);
  });

  it('Approve applies the change; the deployment holds the edited VM and moved on a version', async () => {
    const before = await w.t.kernel.deployments.get('shop', undefined, 'web');
    await approve(change);
    const after = await w.t.kernel.deployments.get('shop', undefined, 'web');
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.openSessionId).toBeNull();
    expect(after.resources.find((resource) => resource.name === 'web')?.config).toMatchObject({ size: 'large', network: 'net' });
  });

  it('Destroy plans the teardown as a lobby of its own, with both resources to destroy; Approve tears the deployment down', async () => {
    const applied = w.lobby(change)!;
    const click = w.emulator.clickButton({ user: w.users.alice, message: applied, customId: button(applied, 'Destroy').custom_id });
    // Planning takes a while: acknowledged privately first.
    expect((await click.response()).type).toBe(5);
    const teardown = await w.emulator.waitFor(() => /Lobby for session (\S+) below/.exec(click.originalMessage()?.content ?? '')?.[1], 15_000, 'the deferral names the teardown');
    await w.emulator.waitFor(() => embedText(w.lobby(teardown)).includes('Plan ready'), 15_000, 'the teardown lobby shows its plan');
    await w.bot.idle();
    const text = embedText(w.lobby(teardown));
    expect(text).toContain('Deployment: shop');
    expect(text).toContain('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect(text).toContain('- terraform_data.web (destroy)');
    expect(text).toContain('- terraform_data.net (destroy)');
    expect((await w.t.kernel.deployments.get('shop', undefined, 'web')).openSessionId).toBe(teardown);

    await approve(teardown);
    const gone = await w.t.kernel.deployments.get('shop', undefined, 'web');
    expect(gone).toMatchObject({ state: 'DESTROYED', resources: [], openSessionId: null });
    // Nothing left to tear down; a new change may build it again.
    expect(() => button(w.lobby(teardown), 'Destroy')).toThrow();
    expect(button(w.lobby(teardown), 'Change').disabled).toBeFalsy();
  });

  it('no request to Discord was refused and nothing was rate limited', async () => {
    await w.bot.idle();
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.warnings).toEqual([]);
  });
});
