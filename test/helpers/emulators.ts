/**
 * Clients and housekeeping for tests that run against the Firestore and Pub/Sub emulators.
 *
 * The integration tier's global setup starts one pair of emulators for the whole run and exports
 * `FIRESTORE_EMULATOR_HOST` / `PUBSUB_EMULATOR_HOST`; these helpers read them at call time, so a
 * test that starts its own emulators only has to point the variables elsewhere. Tests isolate from
 * each other by project id (see {@link uniqueProjectId}), not by restarting emulators.
 */

import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { ConfigError } from '../../shared/errors';

type EmulatorHostVariable = 'FIRESTORE_EMULATOR_HOST' | 'PUBSUB_EMULATOR_HOST';

/** GCP project ids: 6–30 characters, lowercase letters, digits and hyphens, starting with a letter. */
const PROJECT_ID_MAX_LENGTH = 30;
/** 48 random bits: collisions across the tests of one run are not a practical concern. */
const PROJECT_ID_SUFFIX_BYTES = 6;

const emulatorHost = (variable: EmulatorHostVariable): string => {
  const host = process.env[variable];
  if (!host) {
    throw new ConfigError(
      `${variable} is not set: run this test in the jest "integration" project, whose global setup starts the emulators`,
    );
  }
  return host;
};

/**
 * A Firestore client for the emulator at `FIRESTORE_EMULATOR_HOST`.
 *
 * @param projectId - the project to read and write; use {@link uniqueProjectId} per test.
 * @returns a client with admin rights on the emulator. Call `terminate()` when done.
 */
const firestoreForTest = (projectId: string): Firestore =>
  new Firestore({
    projectId,
    host: emulatorHost('FIRESTORE_EMULATOR_HOST'),
    ssl: false,
    // "Bearer owner" is the emulator's admin token: requests bypass security rules.
    customHeaders: { Authorization: 'Bearer owner' },
  });

/**
 * A Pub/Sub client for the emulator at `PUBSUB_EMULATOR_HOST`.
 *
 * @param projectId - the project that owns the topics and subscriptions.
 * @returns a client using plaintext gRPC and no credentials. Call `close()` when done.
 */
const pubsubForTest = (projectId: string): PubSub =>
  // emulatorMode forces insecure channel credentials whatever the endpoint looks like.
  new PubSub({ projectId, apiEndpoint: emulatorHost('PUBSUB_EMULATOR_HOST'), emulatorMode: true });

/**
 * Deletes every document of `projectId`'s default database in the Firestore emulator.
 *
 * @param projectId - the project to wipe; other projects are untouched.
 * @throws Error when the emulator does not answer 200.
 */
const clearFirestore = async (projectId: string): Promise<void> => {
  const host = emulatorHost('FIRESTORE_EMULATOR_HOST');
  const url = `http://${host}/emulator/v1/projects/${encodeURIComponent(projectId)}/databases/(default)/documents`;
  const response = await fetch(url, { method: 'DELETE' });
  if (!response.ok) {
    throw new Error(`clearing Firestore emulator data failed: ${response.status} ${await response.text()}`);
  }
};

/**
 * A valid, lowercase project id that is unique per call: `<prefix>-<12 hex chars>`.
 *
 * @param prefix - readable part, e.g. the module under test; characters GCP does not allow become
 *   `-`, and it is shortened so the whole id fits in 30 characters.
 * @returns e.g. `ledger-3f9c0a12b4e7`.
 */
const uniqueProjectId = (prefix: string): string => {
  const suffix = randomBytes(PROJECT_ID_SUFFIX_BYTES).toString('hex');
  let base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, PROJECT_ID_MAX_LENGTH - suffix.length - 1)
    .replace(/-+$/, '');
  if (base === '') base = 'test';
  return `${base}-${suffix}`;
};

export { clearFirestore, firestoreForTest, pubsubForTest, uniqueProjectId };
