import { z } from 'zod';
import { type IamPolicy, iamPolicySchema } from './iam-policy';

/**
 * The IAM service's state and how it is read: from the fixture's `iam.serviceAccounts`,
 * `iam.serviceAccountKeys` and `iam.serviceAccountPolicies` (plus the project's org policies), and
 * from a state snapshot before it replaces the live state. The service owns its state, so it checks
 * what it uses itself: a broken fixture fails when the service is created, naming the offending
 * path. Objects are loose where the fixture carries fields the simulator does not model (served
 * back as they are) and `x-sim` hints (kept, never served).
 */

// The enums of iam.v1.json, in their proto order (index = the number a gax client would send).
/** `ServiceAccountPrivateKeyType`. */
const PRIVATE_KEY_TYPES = ['TYPE_UNSPECIFIED', 'TYPE_PKCS12_FILE', 'TYPE_GOOGLE_CREDENTIALS_FILE'] as const;
/** `ServiceAccountKeyAlgorithm`. */
const KEY_ALGORITHMS = ['KEY_ALG_UNSPECIFIED', 'KEY_ALG_RSA_1024', 'KEY_ALG_RSA_2048'] as const;
const KEY_ORIGINS = ['ORIGIN_UNSPECIFIED', 'USER_PROVIDED', 'GOOGLE_PROVIDED'] as const;
/** `ListServiceAccountKeysRequest.KeyType`, also `ServiceAccountKey.keyType`. */
const KEY_TYPES = ['KEY_TYPE_UNSPECIFIED', 'USER_MANAGED', 'SYSTEM_MANAGED'] as const;
/** `ServiceAccountPublicKeyType`, the `publicKeyType` of `keys.get`. */
const PUBLIC_KEY_TYPES = ['TYPE_NONE', 'TYPE_X509_PEM_FILE', 'TYPE_RAW_PUBLIC_KEY'] as const;
const KEY_DISABLE_REASONS = [
  'SERVICE_ACCOUNT_KEY_DISABLE_REASON_UNSPECIFIED',
  'SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED',
  'SERVICE_ACCOUNT_KEY_DISABLE_REASON_EXPOSED',
  'SERVICE_ACCOUNT_KEY_DISABLE_REASON_COMPROMISE_DETECTED',
] as const;

const timestamp = z.iso.datetime({ offset: true });
const SERVICE_ACCOUNT_NAME = /^projects\/[^/]+\/serviceAccounts\/([^/]+)$/;
const KEY_NAME = /^projects\/[^/]+\/serviceAccounts\/([^/]+)\/keys\/([^/]+)$/;

const serviceAccountSchema = z.looseObject({
  name: z.string().regex(SERVICE_ACCOUNT_NAME, 'expected projects/{project}/serviceAccounts/{email}'),
  projectId: z.string().min(1),
  uniqueId: z.string().regex(/^\d+$/, 'expected a numeric unique id'),
  email: z.email(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  oauth2ClientId: z.string().optional(),
  disabled: z.boolean().default(false),
});

const serviceAccountKeySchema = z.looseObject({
  name: z.string().regex(KEY_NAME, 'expected projects/{project}/serviceAccounts/{email}/keys/{keyId}'),
  privateKeyType: z.enum(PRIVATE_KEY_TYPES).optional(),
  keyAlgorithm: z.enum(KEY_ALGORITHMS),
  validAfterTime: timestamp,
  validBeforeTime: timestamp,
  keyOrigin: z.enum(KEY_ORIGINS),
  keyType: z.enum(KEY_TYPES),
  disabled: z.boolean().default(false),
  disableReason: z.enum(KEY_DISABLE_REASONS).optional(),
  // Google never retains user-managed private keys; neither may the fixture or a snapshot.
  privateKeyData: z.undefined({ error: 'private key data is never stored' }).optional(),
});

const publicKeyMaterialSchema = z.strictObject({
  publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  certificatePem: z.string().startsWith('-----BEGIN CERTIFICATE-----'),
});

/** A `ServiceAccount` resource as the fixture has it (with its `x-sim` hints). */
type ServiceAccount = z.infer<typeof serviceAccountSchema>;
/** A `ServiceAccountKey` resource as kept: never with `privateKeyData`. */
type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

/** A key as kept: its API resource (no private data) and, once known, its public half. */
interface StoredServiceAccountKey {
  key: ServiceAccountKey;
  /**
   * The public key and its certificate. Seeded keys have none in the fixture; one is generated the
   * first time a caller asks for the public key, and kept.
   */
  publicMaterial?: z.infer<typeof publicKeyMaterialSchema>;
}

/** The IAM service's whole state; what `snapshot()` returns. */
interface IamState {
  serviceAccounts: ServiceAccount[];
  keys: StoredServiceAccountKey[];
  /** Service-account IAM policies by lower-case email; an account without one has the empty policy. */
  policies: Record<string, IamPolicy>;
}

/** The org policies IAM enforces on keys (`project.orgPolicies`). */
interface KeyOrgPolicies {
  /** `iam.disableServiceAccountKeyCreation`. */
  disableKeyCreation: boolean;
  /** `iam.serviceAccountKeyExpiryHours`; undefined means keys never expire. */
  keyExpiryHours: number | undefined;
}

/** What the IAM service is seeded with. Read-only. */
interface IamSeed {
  projectId: string;
  projectNumber: string;
  orgPolicies: KeyOrgPolicies;
  state: IamState;
}

/** The email a service account or key resource name carries, lower case. */
const emailOfName = (name: string): string =>
  (KEY_NAME.exec(name)?.[1] ?? SERVICE_ACCOUNT_NAME.exec(name)?.[1] ?? '').toLowerCase();

const statePartsSchema = z
  .strictObject({
    serviceAccounts: z.array(serviceAccountSchema),
    keys: z.array(
      z.strictObject({ key: serviceAccountKeySchema, publicMaterial: publicKeyMaterialSchema.optional() }),
    ),
    policies: z.record(z.string(), iamPolicySchema),
  })
  .superRefine((state, context) => {
    const emails = new Set(state.serviceAccounts.map((account) => account.email.toLowerCase()));
    state.keys.forEach((stored, index) => {
      if (!emails.has(emailOfName(stored.key.name))) {
        context.addIssue({
          code: 'custom',
          message: 'the key belongs to no listed service account',
          path: ['keys', index, 'key', 'name'],
        });
      }
    });
    for (const email of Object.keys(state.policies)) {
      if (!emails.has(email.toLowerCase())) {
        context.addIssue({ code: 'custom', message: 'no such service account', path: ['policies', email] });
      }
    }
  });

const iamFixtureSchema = z
  .looseObject({
    project: z.looseObject({
      projectId: z.string().min(1),
      projectNumber: z.string().regex(/^\d+$/, 'expected the project number as a decimal string'),
      orgPolicies: z
        .looseObject({
          'iam.disableServiceAccountKeyCreation': z.boolean().nullable().optional(),
          'iam.serviceAccountKeyExpiryHours': z.number().positive().nullable().optional(),
        })
        .optional(),
    }),
    iam: z.looseObject({
      serviceAccounts: z.array(serviceAccountSchema),
      serviceAccountKeys: z.array(serviceAccountKeySchema).default([]),
      serviceAccountPolicies: z.record(z.string(), iamPolicySchema).default({}),
    }),
  })
  .superRefine((fixture, context) => {
    // The same cross-checks as a snapshot's, reported at the fixture's own paths.
    const emails = new Set(fixture.iam.serviceAccounts.map((account) => account.email.toLowerCase()));
    fixture.iam.serviceAccountKeys.forEach((key, index) => {
      if (!emails.has(emailOfName(key.name))) {
        context.addIssue({
          code: 'custom',
          message: 'the key belongs to no service account in iam.serviceAccounts',
          path: ['iam', 'serviceAccountKeys', index, 'name'],
        });
      }
    });
    for (const email of Object.keys(fixture.iam.serviceAccountPolicies)) {
      if (!emails.has(email.toLowerCase())) {
        context.addIssue({
          code: 'custom',
          message: 'no service account with this email in iam.serviceAccounts',
          path: ['iam', 'serviceAccountPolicies', email],
        });
      }
    }
  });

/**
 * Validates the parts of a parsed fixture the IAM service uses and returns a deep copy.
 *
 * @throws Error listing every invalid path, e.g. `iam.serviceAccountKeys[1].keyType`.
 */
const parseIamSeed = (fixture: unknown): IamSeed => {
  const parsed = iamFixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid IAM fixture:\n${z.prettifyError(parsed.error)}`);
  const { project, iam } = parsed.data;
  const policies = Object.fromEntries(
    Object.entries(iam.serviceAccountPolicies).map(([email, policy]) => [email.toLowerCase(), policy]),
  );
  return structuredClone({
    projectId: project.projectId,
    projectNumber: project.projectNumber,
    orgPolicies: {
      disableKeyCreation: project.orgPolicies?.['iam.disableServiceAccountKeyCreation'] === true,
      keyExpiryHours: project.orgPolicies?.['iam.serviceAccountKeyExpiryHours'] ?? undefined,
    },
    state: {
      serviceAccounts: iam.serviceAccounts,
      keys: iam.serviceAccountKeys.map((key) => ({ key })),
      policies,
    },
  });
};

/**
 * Checks a snapshot taken with the service's `snapshot()` (possibly after a JSON round trip) and
 * returns a deep copy to use as the state.
 *
 * @throws Error listing every invalid path.
 */
const parseIamStateSnapshot = (snapshot: unknown): IamState => {
  const parsed = statePartsSchema.safeParse(snapshot);
  if (!parsed.success) throw new Error(`Invalid IAM state snapshot:\n${z.prettifyError(parsed.error)}`);
  return structuredClone(parsed.data);
};

export type { IamSeed, IamState, KeyOrgPolicies, ServiceAccount, ServiceAccountKey, StoredServiceAccountKey };
export {
  emailOfName,
  KEY_ALGORITHMS,
  KEY_TYPES,
  PRIVATE_KEY_TYPES,
  PUBLIC_KEY_TYPES,
  parseIamSeed,
  parseIamStateSnapshot,
};
