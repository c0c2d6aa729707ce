import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidSubdomain, RESERVED_SUBDOMAINS } from '../../domain/subdomain';
import { createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

type Operation = {
  requestBody?: { content: Record<string, unknown> };
  parameters?: { in: string }[];
  responses: Record<string, unknown>;
};

async function operations() {
  const doc = await call(stack().createApp(), 'GET', '/openapi.json');
  assert.equal(doc.status, 200);
  const found: { name: string; operation: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(item)) {
      found.push({ name: `${method.toUpperCase()} ${path}`, operation });
    }
  }
  return { doc: doc.body, operations: found };
}

describe('the OpenAPI document states what the API answers', () => {
  it('documents 400, 413, 415 and 422 on every operation with a JSON body', async () => {
    const missing: string[] = [];
    const { operations: all } = await operations();
    const jsonOperations = all.filter(({ operation }) => operation.requestBody?.content['application/json']);
    assert.ok(jsonOperations.length >= 10, `${jsonOperations.length} JSON-body operations`);
    for (const { name, operation } of jsonOperations) {
      for (const status of ['400', '413', '415', '422']) {
        if (!operation.responses[status]) missing.push(`${name} ${status}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('documents 413 and 415 on every operation that takes a body, and 422 where input is validated', async () => {
    const missing: string[] = [];
    for (const { name, operation } of (await operations()).operations) {
      const statuses = operation.requestBody ? ['413', '415', '422'] : [];
      if (operation.parameters?.some((parameter) => parameter.in !== 'header')) statuses.push('422');
      for (const status of statuses) if (!operation.responses[status]) missing.push(`${name} ${status}`);
    }
    assert.deepEqual(missing, []);
  });

  it('answers the documented 400 and 415 for a body that is not JSON', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const app = stack().createApp();
    const path = `/v1/organizations/${org.id}`;
    const notJson = await call(app, 'PATCH', path, {
      token,
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    const otherType = await call(app, 'PATCH', path, {
      token,
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(otherType.status, 415);
  });

  it('states the subdomain rules the code enforces, not only a maximum length', async () => {
    const { doc } = await operations();
    for (const name of ['CreateOrganization', 'UpdateOrganization']) {
      const subdomain = doc.components.schemas[name].properties.subdomain;
      assert.equal(subdomain.minLength, 3, name);
      assert.equal(subdomain.maxLength, 63, name);
      const pattern = new RegExp(subdomain.pattern);
      for (const good of ['acme', 'a-1', 'abc-def-9', 'ab-c', 'abc--d', 'a'.repeat(63)])
        assert.match(good, pattern);
      for (const bad of ['-acme', 'acme-', 'Acme', 'ac_me', 'xn--acme', 'ab--', 'ac.me', 'ab'])
        assert.doesNotMatch(bad, pattern);
      assert.deepEqual(subdomain.not, { enum: [...RESERVED_SUBDOMAINS] });
      // The documented rules and the code's agree on every string of the subdomain alphabet.
      const documented = (value: string) =>
        pattern.test(value) &&
        value.length >= subdomain.minLength &&
        value.length <= subdomain.maxLength &&
        !subdomain.not.enum.includes(value);
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom(...'abz09-A_.'), maxLength: 70 }), (value) => {
          assert.equal(documented(value), isValidSubdomain(value), JSON.stringify(value));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it("states the roster rules of a person's fields (dates, NPI, email)", async () => {
    const { doc } = await operations();
    for (const name of ['CreateEmployee', 'UpdateEmployee']) {
      const fields = doc.components.schemas[name].properties;
      for (const date of ['dateOfBirth', 'hireDate']) {
        const pattern = new RegExp(fields[date].pattern);
        for (const good of ['1980-04-01', '04/01/1980', '4/1/1980', '19800401']) assert.match(good, pattern);
        for (const bad of ['1980-4-1', 'April 1', '1980.04.01']) assert.doesNotMatch(bad, pattern);
      }
      assert.match('1234567893', new RegExp(fields.npi.pattern));
      assert.doesNotMatch('12345', new RegExp(fields.npi.pattern));
      assert.doesNotMatch('not an email', new RegExp(fields.email.pattern));
    }
  });
});
