import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { auditTrail, createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

describe('member administration (docs/spec.md §10)', () => {
  async function organizationWithMembers() {
    const organization = await createOrganization();
    const owner = await createMember(organization.id, 'owner');
    const admin = await createMember(organization.id, 'admin');
    const member = await createMember(organization.id, 'member');
    return { organization, owner, admin, member, base: `/v1/organizations/${organization.id}/members` };
  }

  it('changes roles: admins between admin and member, only owners grant or take owner, the last owner stays', async () => {
    const { organization, owner, admin, member, base } = await organizationWithMembers();
    const app = stack().createApp();
    const patch = (token: string, userId: string, role: string) =>
      call(app, 'PATCH', `${base}/${userId}`, { token, json: { role } });

    const promoted = await patch(admin.token, member.user.id, 'admin');
    assert.equal(promoted.status, 200);
    assert.deepEqual(
      { ...promoted.body, createdAt: undefined },
      {
        userId: member.user.id,
        email: member.user.email,
        name: member.user.name,
        role: 'admin',
        createdAt: undefined,
      },
    );
    assert.equal((await patch(admin.token, member.user.id, 'member')).body.role, 'member');
    assert.equal(
      (await patch(admin.token, member.user.id, 'member')).status,
      200,
      'the same role is a no-op',
    );

    const grant = await patch(admin.token, member.user.id, 'owner');
    assert.equal(grant.status, 403);
    assert.match(grant.body.detail, /Only an owner/);
    assert.equal(
      (await patch(admin.token, owner.user.id, 'admin')).status,
      403,
      'an admin cannot demote an owner',
    );
    assert.equal((await patch(member.token, admin.user.id, 'member')).status, 403);

    const lastOwner = await patch(owner.token, owner.user.id, 'admin');
    assert.equal(lastOwner.status, 409);
    assert.match(lastOwner.body.detail, /last owner cannot be demoted/);

    assert.equal((await patch(owner.token, admin.user.id, 'owner')).body.role, 'owner');
    assert.equal(
      (await patch(admin.token, owner.user.id, 'admin')).body.role,
      'admin',
      'the new owner demotes the first',
    );
    assert.equal((await patch(admin.token, admin.user.id, 'member')).status, 409, 'now the last owner');

    assert.equal((await patch(admin.token, randomUUID(), 'admin')).status, 404);
    const outsider = await createUser();
    assert.equal(
      (await patch(admin.token, outsider.user.id, 'admin')).status,
      404,
      'a user who is not a member',
    );
    const badRole = await patch(admin.token, member.user.id, 'superuser');
    assert.equal(badRole.status, 422);
    assert.deepEqual(
      badRole.body.errors.map((e: any) => e.path),
      ['role'],
    );
    assert.equal(
      (await call(app, 'PATCH', `${base}/not-a-uuid`, { token: admin.token, json: { role: 'admin' } }))
        .status,
      422,
    );

    const changes = (await auditTrail(organization.id)).filter((row) => row.action === 'member.role_changed');
    assert.equal(changes.length, 4);
    assert.deepEqual(changes[0]?.details, { previousRole: 'member', role: 'admin' });
  });

  it('removes members; a member may leave; the last owner cannot go; a removed member loses access at once', async () => {
    const { organization, owner, admin, member, base } = await organizationWithMembers();
    const other = await createMember(organization.id, 'member');
    const app = stack().createApp();
    const remove = (token: string, userId: string) => call(app, 'DELETE', `${base}/${userId}`, { token });
    const orgPath = `/v1/organizations/${organization.id}`;

    assert.equal((await call(app, 'GET', orgPath, { token: member.token })).status, 200);
    assert.equal((await remove(member.token, other.user.id)).status, 403, 'a member removes only themselves');
    assert.equal((await remove(member.token, randomUUID())).status, 403);
    assert.equal((await remove(admin.token, owner.user.id)).status, 403, 'only an owner removes an owner');

    const removed = await remove(admin.token, member.user.id);
    assert.equal(removed.status, 204);
    assert.equal(removed.body, '');
    // The same access token, on the very next request.
    assert.equal((await call(app, 'GET', orgPath, { token: member.token })).status, 404);
    assert.equal((await call(app, 'GET', base, { token: member.token })).status, 404);
    assert.equal((await remove(admin.token, member.user.id)).status, 404, 'no longer a member');

    assert.equal((await remove(other.token, other.user.id)).status, 204, 'a member leaves');
    assert.equal((await call(app, 'GET', orgPath, { token: other.token })).status, 404);

    const last = await remove(owner.token, owner.user.id);
    assert.equal(last.status, 409);
    assert.match(last.body.detail, /last owner cannot be removed/);
    assert.equal((await remove(admin.token, admin.user.id)).status, 204, 'an admin leaves');

    const platformAdmin = await createUser({ platformAdmin: true });
    assert.equal((await remove(platformAdmin.token, owner.user.id)).status, 409, 'not even a platform admin');

    const members = await call(app, 'GET', base, { token: owner.token });
    assert.deepEqual(
      members.body.items.map((item: any) => item.userId),
      [owner.user.id],
    );
    const trail = (await auditTrail(organization.id)).map((row) => [row.action, row.entity_id]);
    assert.deepEqual(
      trail.filter(([action]) => action?.startsWith('member.')),
      [
        ['member.removed', member.user.id],
        ['member.left', other.user.id],
        ['member.left', admin.user.id],
      ],
    );
  });

  it('two owners demoting each other at once leave one owner (the memberships are locked)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const organization = await createOrganization();
      const first = await createMember(organization.id, 'owner');
      const second = await createMember(organization.id, 'owner');
      const app = stack().createApp();
      const base = `/v1/organizations/${organization.id}/members`;
      const answers = await Promise.all([
        call(app, 'PATCH', `${base}/${second.user.id}`, { token: first.token, json: { role: 'admin' } }),
        call(app, 'PATCH', `${base}/${first.user.id}`, { token: second.token, json: { role: 'admin' } }),
      ]);
      const statuses = answers.map((answer) => answer.status).sort();
      // The loser is refused as the last owner, or (if the winner's demotion came first) as an admin.
      assert.ok(
        JSON.stringify(statuses) === '[200,403]' || JSON.stringify(statuses) === '[200,409]',
        JSON.stringify(statuses),
      );
      const members = await call(app, 'GET', base, { token: first.token });
      const owners = (members.body.items ?? []).filter((item: any) => item.role === 'owner');
      const viaSecond = await call(app, 'GET', base, { token: second.token });
      const ownersSeen =
        owners.length > 0 ? owners : viaSecond.body.items.filter((item: any) => item.role === 'owner');
      assert.equal(ownersSeen.length, 1);
    }
  });
});
