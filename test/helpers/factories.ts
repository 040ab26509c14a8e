import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PubsubDelivery } from '../../shared/messaging';

/** The fixture platform the simulator is seeded with. */
const FIXTURE_PATH = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'acme-ml-prod.json');
const loadFixture = (): unknown => JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as unknown;

/** A Pub/Sub delivery carrying `body` (JSON-encoded unless it is already a string). */
const makeDelivery = (body: unknown, overrides: Partial<PubsubDelivery> = {}): PubsubDelivery => {
  return {
    messageId: `msg-${randomUUID()}`,
    data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    attributes: {},
    ...overrides,
  };
};

/** A valid command body; override any field. */
const makeCommand = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'gpu.scale',
  args: { nodes: 2 },
  actor: 'user:maria.chen@acme.ai',
  reason: 'training run for the quarterly model',
  ...overrides,
});

/** The shared fixture with extra Cloud Identity users (status `invited`: not in desired state, no access). */
const fixtureWithDirectoryUsers = (emails: readonly string[]): unknown => {
  const fixture = loadFixture() as { users: Array<Record<string, unknown>> };
  return {
    ...fixture,
    users: [
      ...fixture.users,
      ...emails.map((email) => ({
        email,
        displayName: email,
        team: 'vision',
        platformRole: 'none',
        status: 'invited',
        ownsProfiles: [],
      })),
    ],
  };
};

export { FIXTURE_PATH, fixtureWithDirectoryUsers, loadFixture, makeCommand, makeDelivery };
