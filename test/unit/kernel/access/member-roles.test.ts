import { describe, expect, it } from 'vitest';
import { asMember, currentMember, currentMemberRoles, mappedLevel } from '../../../../src/kernel/access/member-roles.js';

describe('the member context of a chat interaction', () => {
  it('gives the roles only inside the interaction, and only to its member', async () => {
    expect(currentMemberRoles('rita')).toEqual([]);
    await asMember({ userId: 'rita', roles: ['111', '222'], channelId: '9' }, async () => {
      await Promise.resolve();
      expect(currentMemberRoles('rita')).toEqual(['111', '222']);
      expect(currentMemberRoles()).toEqual(['111', '222']);
      expect(currentMemberRoles('bob')).toEqual([]);
      expect(currentMember()).toEqual({ userId: 'rita', roles: ['111', '222'], channelId: '9' });
    });
    expect(currentMember()).toBeUndefined();
  });

  it('keeps two interactions handled at once apart', async () => {
    const seen: string[][] = [];
    const handle = (userId: string, roles: string[], delay: number) =>
      asMember({ userId, roles }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        seen.push([userId, ...currentMemberRoles(userId)]);
      });
    await Promise.all([handle('a', ['1'], 20), handle('b', ['2'], 5)]);
    expect(seen).toEqual([['b', '2'], ['a', '1']]);
  });

  it('copies the roles it is given, so a later change of the caller\'s array does not leak in', async () => {
    const roles = ['1'];
    await asMember({ userId: 'rita', roles }, async () => {
      roles.push('2');
      expect(currentMemberRoles('rita')).toEqual(['1']);
    });
  });
});

describe('mappedLevel: the highest level a project maps the held roles to', () => {
  const mapping = { '111': 'read', '222': 'deploy', '333': 'admin' } as const;
  it('takes the highest mapped role, naming it', () => {
    expect(mappedLevel(mapping, ['111', '222'])).toEqual({ level: 'deploy', roleId: '222' });
    expect(mappedLevel(mapping, ['333', '111'])).toEqual({ level: 'admin', roleId: '333' });
  });
  it('gives nothing for unmapped roles, no roles, or an empty mapping', () => {
    expect(mappedLevel(mapping, ['999'])).toBeNull();
    expect(mappedLevel(mapping, [])).toBeNull();
    expect(mappedLevel({}, ['111'])).toBeNull();
  });
  it('is not fooled by role ids that name object properties', () => {
    expect(mappedLevel(mapping, ['constructor', '__proto__', 'toString'])).toBeNull();
  });
});
