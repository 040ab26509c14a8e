import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type RpcStatus, SimulatorApiError } from '../api-error';
import { type JsonObject, readEnum, readInt32, readMessage } from '../request-fields';

/**
 * IAM allow policies as Google's front ends treat them (api-contracts §4), shared by the three
 * services that hold one: IAM (service accounts), Resource Manager (the project) and IAP (its web
 * resources). One implementation, so the etag, version and member rules cannot drift apart
 * between them, as they do not in Google.
 *
 * Sources: the `Policy`/`Binding`/`GetPolicyOptions` descriptions of the discovery documents, and
 * error texts seen in public issues (cited where used). Rules without such a source are marked as
 * guesses.
 */

/** `Expr`: the CEL condition of a binding. */
interface PolicyCondition {
  expression: string;
  title?: string;
  description?: string;
  location?: string;
}

/** One role granted to members, optionally under a condition. */
interface PolicyBinding {
  role: string;
  members: string[];
  condition?: PolicyCondition;
}

/** `AuditLogConfig.logType` names. */
const LOG_TYPES = ['LOG_TYPE_UNSPECIFIED', 'ADMIN_READ', 'DATA_WRITE', 'DATA_READ'] as const;
/** One `AuditLogConfig.logType`. */
type LogType = (typeof LOG_TYPES)[number];

/** Which permission type of a service is logged, and who is exempted. */
interface AuditLogConfig {
  logType: LogType;
  exemptedMembers?: string[];
}

/** Audit logging of one service; only project policies carry these. */
interface AuditConfig {
  service: string;
  auditLogConfigs: AuditLogConfig[];
}

/** A stored policy. `version` is 3 exactly when a binding has a condition (see {@link policyResponse}). */
interface IamPolicy {
  version: number;
  /** Base64 of the opaque etag bytes, as the JSON API carries `bytes`. */
  etag: string;
  bindings: PolicyBinding[];
  auditConfigs?: AuditConfig[];
}

/** What kind of resource a policy is attached to: projects have rules of their own (api-contracts §4). */
type PolicyResource = 'project' | 'serviceAccount' | 'iap';

/**
 * Who exists and who may be granted anything, read from the fixture: the checks Google makes
 * against Cloud Identity and the org policy when a policy is written.
 */
interface PolicyDirectory {
  projectId: string;
  projectNumber: string;
  /**
   * The `iam.allowedPolicyMemberDomains` org policy, lower case. Google lists customer ids; the
   * fixture lists the customers' domains, which is what a member string can be checked against.
   * Undefined when the constraint is not set.
   */
  allowedMemberDomains: readonly string[] | undefined;
  /** Cloud Identity users (lower-case emails), whatever their HR status. */
  users: ReadonlySet<string>;
  /** The project's service accounts (lower-case emails). */
  serviceAccounts: ReadonlySet<string>;
}

/** How a service's `SetIamPolicyRequest` and `Policy` messages differ: IAP's lack both fields. */
interface PolicyMessageShape {
  /** `SetIamPolicyRequest.updateMask` exists (IAM, Resource Manager). */
  updateMask: boolean;
  /** `Policy.auditConfigs` exists (IAM, Resource Manager). */
  auditConfigs: boolean;
}

/** The fields of a policy an `updateMask` can name. */
type PolicyField = 'bindings' | 'etag' | 'auditConfigs';

/** A decoded `SetIamPolicyRequest`. */
interface SetIamPolicyInput {
  policy: { version: number; etag: string; bindings: PolicyBinding[]; auditConfigs: AuditConfig[] };
  /** The update mask; `bindings, etag` when the request has none (discovery: the default mask). */
  fields: ReadonlySet<PolicyField>;
}

/** What a write is checked against. */
interface PolicyWriteRules {
  resource: PolicyResource;
  directory: PolicyDirectory;
}

/** Google's etag of a policy that was never written (`\x00\x00\x01`). */
const EMPTY_POLICY_ETAG = 'ACAB';

/** The 409 ABORTED text for a stale etag (pulumi-google-native #862, tf #12512). */
const CONCURRENT_POLICY_CHANGE_MESSAGE =
  'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';

/** Principal occurrences a policy may hold (Policy.bindings in the discovery documents). */
const MAX_POLICY_MEMBERS = 1500;

const VALID_POLICY_VERSIONS: readonly number[] = [0, 1, 3];
const POLICY_VERSIONS_HELP =
  'For more information, please refer to https://cloud.google.com/iam/docs/policies#versions.';
const DEFAULT_FIELDS: ReadonlySet<PolicyField> = new Set(['bindings', 'etag']);

/**
 * The legacy `errors[].reason` these v1 front ends still send next to `status` ("Error 400: …,
 * badRequest" in Terraform output), so a discovery client's `response.data.error.errors` is filled.
 */
const LEGACY_REASONS: Partial<Record<RpcStatus, string>> = {
  INVALID_ARGUMENT: 'badRequest',
  FAILED_PRECONDITION: 'failedPrecondition',
  PERMISSION_DENIED: 'forbidden',
  NOT_FOUND: 'notFound',
  ABORTED: 'aborted',
  UNIMPLEMENTED: 'notImplemented',
};

/** An error of the IAM, Resource Manager or IAP front end, with its legacy reason. */
const identityApiError = (status: RpcStatus, message: string, details?: unknown[]): SimulatorApiError =>
  new SimulatorApiError(status, message, {
    ...(LEGACY_REASONS[status] === undefined ? {} : { reason: LEGACY_REASONS[status] }),
    ...(details === undefined ? {} : { details }),
  });

const invalid = (message: string, details?: unknown[]): SimulatorApiError =>
  identityApiError('INVALID_ARGUMENT', message, details);

// proto3 JSON `bytes`: standard or URL-safe base64, padding optional.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64_URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;
const isBase64 = (text: string): boolean => BASE64.test(text) || BASE64_URL.test(text);

const conditionSchema = z.strictObject({
  expression: z.string().min(1),
  title: z.string().optional(),
  description: z.string().optional(),
  location: z.string().optional(),
});

const bindingSchema = z.strictObject({
  role: z.string().min(1),
  members: z.array(z.string().min(1)).min(1),
  condition: conditionSchema.optional(),
});

const auditConfigSchema = z.strictObject({
  service: z.string().min(1),
  auditLogConfigs: z.array(
    z.strictObject({ logType: z.enum(LOG_TYPES), exemptedMembers: z.array(z.string()).optional() }),
  ),
});

/**
 * A policy in the fixture or in a state snapshot. Strict, so a misspelt field (`member`) fails at
 * creation instead of silently granting nothing.
 */
const iamPolicySchema = z
  .strictObject({
    version: z.union([z.literal(0), z.literal(1), z.literal(3)]).default(1),
    etag: z.string().min(1).refine(isBase64, 'expected a base64 etag'),
    bindings: z.array(bindingSchema).default([]),
    auditConfigs: z.array(auditConfigSchema).optional(),
  })
  .refine((policy) => policy.version === 3 || !policy.bindings.some((binding) => binding.condition), {
    message: 'a policy with conditional bindings must have version 3',
    path: ['version'],
  });

const directoryFixtureSchema = z.looseObject({
  project: z.looseObject({
    projectId: z.string().min(1),
    projectNumber: z.string().regex(/^\d+$/, 'expected the project number as a decimal string'),
    orgPolicies: z
      .looseObject({ 'iam.allowedPolicyMemberDomains': z.array(z.string().min(1)).nullable().optional() })
      .optional(),
  }),
  users: z.array(z.looseObject({ email: z.email() })).default([]),
  iam: z.looseObject({ serviceAccounts: z.array(z.looseObject({ email: z.email() })).default([]) }),
});

/**
 * Reads the {@link PolicyDirectory} from a parsed fixture.
 *
 * @param label - names the service in the error, e.g. `IAP`.
 * @throws Error listing every invalid path, e.g. `users[3].email`.
 */
const parsePolicyDirectory = (fixture: unknown, label: string): PolicyDirectory => {
  const parsed = directoryFixtureSchema.safeParse(fixture);
  if (!parsed.success) throw new Error(`Invalid ${label} fixture:\n${z.prettifyError(parsed.error)}`);
  const { project, users, iam } = parsed.data;
  const domains = project.orgPolicies?.['iam.allowedPolicyMemberDomains'];
  return {
    projectId: project.projectId,
    projectNumber: project.projectNumber,
    allowedMemberDomains: domains ? domains.map((domain) => domain.toLowerCase()) : undefined,
    users: new Set(users.map((user) => user.email.toLowerCase())),
    serviceAccounts: new Set(iam.serviceAccounts.map((account) => account.email.toLowerCase())),
  };
};

/**
 * A fresh etag: 8 bytes led by 0x07 0x0?, so it reads `Bw…` like Google's (`BwY0rV3kQyE=`), and
 * random rather than counted so that none repeats across a reset or a restore.
 */
const newPolicyEtag = (previous?: string): string => {
  for (;;) {
    const bytes = randomBytes(8);
    bytes[0] = 0x07;
    bytes[1] = (bytes[1] ?? 0) & 0x0f;
    const etag = bytes.toString('base64');
    if (etag !== previous) return etag;
  }
};

/** The policy of a resource nobody has granted anything on yet. */
const emptyPolicy = (): IamPolicy => ({ version: 1, etag: EMPTY_POLICY_ETAG, bindings: [] });

const hasConditions = (bindings: readonly PolicyBinding[]): boolean =>
  bindings.some((binding) => binding.condition !== undefined);

/**
 * Reads `requestedPolicyVersion` (body option or `options.requestedPolicyVersion` query parameter).
 * Absent reads as 0, which Google treats like 1.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a version other than 0, 1 or 3 (the message is a guess).
 */
const readRequestedPolicyVersion = (value: unknown, path: string): number => {
  const version = readInt32(value, path) ?? 0;
  if (!VALID_POLICY_VERSIONS.includes(version)) {
    throw invalid(`Invalid requested policy version ${version}: valid values are 0, 1 and 3.`);
  }
  return version;
};

/** Reads a `GetIamPolicyRequest` body (`{options:{requestedPolicyVersion}}`) and returns the version. */
const readGetIamPolicyRequest = (body: unknown): number => {
  const request = readMessage(body, ['options']);
  const options = readMessage(request.options, ['requestedPolicyVersion'], 'options');
  return readRequestedPolicyVersion(options.requestedPolicyVersion, 'options.requestedPolicyVersion');
};

/**
 * The policy as `getIamPolicy`/`setIamPolicy` answer it: version 1 unless a binding has a condition
 * (GetPolicyOptions: "if you specify version 3, but the policy has no conditional role bindings, the
 * response uses version 1"), empty lists left out as proto3 JSON does.
 *
 * @param requestedVersion - what the caller can read; a conditional policy needs 3.
 * @throws SimulatorApiError INVALID_ARGUMENT when a conditional policy is read below version 3, as
 *   Google does (terraform-provider-google #5218, vault-plugin-secrets-gcp #77), so that a caller
 *   unaware of conditions cannot read the policy, drop them and write it back.
 */
const policyResponse = (policy: IamPolicy, requestedVersion = 3): JsonObject => {
  const conditional = hasConditions(policy.bindings);
  if (conditional && requestedVersion < 3) {
    throw invalid(
      `Requested policy version (${Math.max(requestedVersion, 1)}) cannot be less than the existing policy version (3). ${POLICY_VERSIONS_HELP}`,
    );
  }
  return structuredClone({
    version: conditional ? 3 : 1,
    etag: policy.etag,
    ...(policy.bindings.length === 0 ? {} : { bindings: policy.bindings }),
    ...(policy.auditConfigs === undefined || policy.auditConfigs.length === 0
      ? {}
      : { auditConfigs: policy.auditConfigs }),
  });
};

const readStringList = (value: unknown, path: string): string[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(`Invalid value at '${path}': expected a list of strings.`);
  }
  return value as string[];
};

const readOptionalString = (value: unknown, path: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalid(`Invalid value at '${path}' (TYPE_STRING), ${JSON.stringify(value)}`);
  return value;
};

const readList = (value: unknown, path: string): unknown[] => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`Invalid value at '${path}': expected a list.`);
  return value;
};

const readCondition = (value: unknown, path: string): PolicyCondition | undefined => {
  if (value === undefined || value === null) return undefined;
  const fields = readMessage(value, ['expression', 'title', 'description', 'location'], path);
  const expression = readOptionalString(fields.expression, `${path}.expression`) ?? '';
  // Guess at the wording; Google refuses a condition without an expression.
  if (expression.trim() === '') throw invalid(`${path}.expression must not be empty.`);
  const condition: PolicyCondition = { expression };
  for (const key of ['title', 'description', 'location'] as const) {
    const text = readOptionalString(fields[key], `${path}.${key}`);
    if (text !== undefined && text !== '') condition[key] = text;
  }
  return condition;
};

const readBinding = (value: unknown, path: string): PolicyBinding => {
  const fields = readMessage(value, ['role', 'members', 'condition'], path);
  const role = readOptionalString(fields.role, `${path}.role`) ?? '';
  // Members are deduplicated: a principal listed twice under one role is one grant.
  const members = [...new Set(readStringList(fields.members, `${path}.members`))];
  const condition = readCondition(fields.condition, `${path}.condition`);
  return { role, members, ...(condition === undefined ? {} : { condition }) };
};

const readAuditConfig = (value: unknown, path: string): AuditConfig => {
  const fields = readMessage(value, ['service', 'auditLogConfigs'], path);
  const service = readOptionalString(fields.service, `${path}.service`) ?? '';
  if (service === '') throw invalid(`${path}.service must not be empty.`);
  const auditLogConfigs = readList(fields.auditLogConfigs, `${path}.auditLogConfigs`).map((item, index) => {
    const configPath = `${path}.auditLogConfigs[${index}]`;
    const config = readMessage(item, ['logType', 'exemptedMembers'], configPath);
    const logType =
      readEnum(config.logType, `${configPath}.logType`, LOG_TYPES, 'google.iam.v1.AuditLogConfig.LogType') ??
      'LOG_TYPE_UNSPECIFIED';
    const exempted = readStringList(config.exemptedMembers, `${configPath}.exemptedMembers`);
    return { logType, ...(exempted.length === 0 ? {} : { exemptedMembers: exempted }) };
  });
  return { service, auditLogConfigs };
};

const readUpdateMask = (value: unknown): ReadonlySet<PolicyField> => {
  const mask = readOptionalString(value, 'updateMask');
  if (mask === undefined || mask.trim() === '') return DEFAULT_FIELDS;
  const fields = new Set<PolicyField>();
  for (const raw of mask.split(',')) {
    const path = raw.trim();
    if (path === 'bindings' || path === 'etag') fields.add(path);
    else if (path === 'auditConfigs' || path === 'audit_configs') fields.add('auditConfigs');
    // Guess at the wording; Google refuses a mask naming a field the policy does not have.
    else
      throw invalid(
        `Invalid update mask path "${path}": a policy update mask may name bindings, etag and auditConfigs.`,
      );
  }
  return fields;
};

/**
 * Decodes a `SetIamPolicyRequest` body, refusing unknown fields as Google's JSON front end does.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for a malformed request, a missing policy, a version
 *   other than 0, 1 or 3, or an etag that is not base64.
 */
const readSetIamPolicyRequest = (body: unknown, shape: PolicyMessageShape): SetIamPolicyInput => {
  const request = readMessage(body, shape.updateMask ? ['policy', 'updateMask'] : ['policy']);
  if (request.policy === undefined || request.policy === null) {
    // Guess at the wording: the field is REQUIRED in every discovery document.
    throw invalid('SetIamPolicyRequest.policy is required.');
  }
  const policyFields = shape.auditConfigs
    ? ['version', 'bindings', 'etag', 'auditConfigs']
    : ['version', 'bindings', 'etag'];
  const policy = readMessage(request.policy, policyFields, 'policy');
  const version = readInt32(policy.version, 'policy.version') ?? 0;
  if (!VALID_POLICY_VERSIONS.includes(version)) {
    throw invalid(`Invalid policy version ${version}: valid values are 0, 1 and 3. ${POLICY_VERSIONS_HELP}`);
  }
  const etag = readOptionalString(policy.etag, 'policy.etag') ?? '';
  if (!isBase64(etag)) throw invalid(`Invalid value at 'policy.etag' (TYPE_BYTES), ${JSON.stringify(etag)}`);
  return {
    policy: {
      version,
      etag,
      bindings: readList(policy.bindings, 'policy.bindings').map((item, index) =>
        readBinding(item, `policy.bindings[${index}]`),
      ),
      auditConfigs: readList(policy.auditConfigs, 'policy.auditConfigs').map((item, index) =>
        readAuditConfig(item, `policy.auditConfigs[${index}]`),
      ),
    },
    fields: shape.updateMask ? readUpdateMask(request.updateMask) : DEFAULT_FIELDS,
  };
};

/** A member string taken apart; `address` is the email or domain a directory check looks at. */
interface ParsedMember {
  kind:
    | 'allUsers'
    | 'allAuthenticatedUsers'
    | 'user'
    | 'group'
    | 'serviceAccount'
    | 'kubernetesServiceAccount'
    | 'domain'
    | 'principal'
    | 'deleted';
  address?: string;
}

const EMAIL = /^[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;
const DOMAIN = /^(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;
const KUBERNETES_SERVICE_ACCOUNT =
  /^[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?\.svc\.id\.goog\[[^/\]]+\/[^/\]]+\]$/;
const POOL = String.raw`(?:locations/global/workforcePools/[^/]+|projects/\d+/locations/global/workloadIdentityPools/[^/]+)`;
const PRINCIPAL = new RegExp(String.raw`^principal://iam\.googleapis\.com/${POOL}/subject/.+$`);
const PRINCIPAL_SET = new RegExp(
  String.raw`^principalSet://iam\.googleapis\.com/${POOL}/(?:group/[^/]+|attribute\.[^/]+/.+|\*)$`,
);
const DELETED = /^deleted:(?:user|group|serviceAccount):[^?]+\?uid=\d+$/;

/**
 * Parses one `Binding.members` entry in the forms the discovery documents list.
 *
 * @returns undefined when the member has no known type.
 */
const parseMember = (member: string): ParsedMember | undefined => {
  if (member === 'allUsers' || member === 'allAuthenticatedUsers') return { kind: member };
  if (PRINCIPAL.test(member) || PRINCIPAL_SET.test(member)) return { kind: 'principal' };
  if (DELETED.test(member)) return { kind: 'deleted' };
  if (member.startsWith('deleted:principal://') && PRINCIPAL.test(member.slice('deleted:'.length))) {
    return { kind: 'deleted' };
  }
  const colon = member.indexOf(':');
  if (colon < 0) return undefined;
  const type = member.slice(0, colon);
  const value = member.slice(colon + 1);
  if ((type === 'user' || type === 'group') && EMAIL.test(value)) {
    return { kind: type, address: value.toLowerCase() };
  }
  if (type === 'serviceAccount' && EMAIL.test(value))
    return { kind: 'serviceAccount', address: value.toLowerCase() };
  if (type === 'serviceAccount' && KUBERNETES_SERVICE_ACCOUNT.test(value))
    return { kind: 'kubernetesServiceAccount' };
  if (type === 'domain' && DOMAIN.test(value)) return { kind: 'domain', address: value.toLowerCase() };
  return undefined;
};

const ROLE = /^(?:roles\/[A-Za-z0-9_.]+|(?:projects|organizations)\/[^/]+\/roles\/[A-Za-z0-9_.]+)$/;

/** Identifies a grant: the same member under the same role and condition is the same grant. */
const grantKey = (binding: PolicyBinding, member: string): string =>
  JSON.stringify([
    binding.role,
    binding.condition?.expression ?? null,
    binding.condition?.title ?? null,
    binding.condition?.description ?? null,
    member,
  ]);

const grantsOf = (bindings: readonly PolicyBinding[]): Set<string> =>
  new Set(bindings.flatMap((binding) => binding.members.map((member) => grantKey(binding, member))));

/** Whether the org policy lets `member` be granted anything: by its email's or domain's domain. */
const permittedByDomainRestriction = (parsed: ParsedMember, allowed: readonly string[]): boolean => {
  switch (parsed.kind) {
    case 'allUsers':
    case 'allAuthenticatedUsers':
      return false;
    case 'user':
    case 'group':
      return allowed.includes((parsed.address ?? '').split('@')[1] ?? '');
    case 'domain':
      return allowed.includes(parsed.address ?? '');
    default:
      // Service accounts, Kubernetes service accounts and federated principals: the fixture's domain
      // list cannot tell their customer, and the platform's own ones must stay grantable.
      return true;
  }
};

/** Shape checks on every binding of the policy being written. */
const checkBindings = (bindings: readonly PolicyBinding[], version: number): void => {
  if (hasConditions(bindings) && version < 3) {
    // Guess at the wording; the rule is the Policy.version description's.
    throw invalid(
      `Policy version ${version} cannot contain conditional role bindings; set the version to 3. ${POLICY_VERSIONS_HELP}`,
    );
  }
  let occurrences = 0;
  bindings.forEach((binding, index) => {
    if (!ROLE.test(binding.role)) {
      throw invalid(
        `Invalid role "${binding.role}" at policy.bindings[${index}].role: the role name must be in the form "roles/{role}", "organizations/{organization_id}/roles/{role}", or "projects/{project_id}/roles/{role}".`,
      );
    }
    if (binding.members.length === 0) {
      // Policy.bindings: "Each of the bindings must contain at least one principal"; wording guessed.
      throw invalid(
        `policy.bindings[${index}] (${binding.role}) has no members; a binding needs at least one principal.`,
      );
    }
    for (const member of binding.members) {
      if (!parseMember(member)) {
        // Wording from Google (terraform-provider-google #12446, DefangLabs/defang #1541).
        throw invalid(
          `The member ${member} is of an unknown type. Please set a valid type prefix for the member.`,
        );
      }
    }
    occurrences += binding.members.length;
  });
  if (occurrences > MAX_POLICY_MEMBERS) {
    // Wording and status from Google (kubeflow/pipelines #1146).
    throw invalid(
      `The number of members in the policy (${occurrences.toLocaleString('en-US')}) is larger than the maximum allowed size ${MAX_POLICY_MEMBERS.toLocaleString('en-US')}.`,
    );
  }
};

/** The checks on grants the write adds: existing grants are not re-checked (org policies are not retroactive). */
const checkNewGrants = (
  current: readonly PolicyBinding[],
  bindings: readonly PolicyBinding[],
  rules: PolicyWriteRules,
): void => {
  const existing = grantsOf(current);
  const added = bindings.flatMap((binding) =>
    binding.members
      .filter((member) => !existing.has(grantKey(binding, member)))
      .map((member) => ({ binding, member, parsed: parseMember(member) as ParsedMember })),
  );
  const { directory } = rules;
  if (rules.resource === 'project') {
    // Projects refuse public members with Google's generic text (terraform-provider-google #859).
    if (added.some(({ parsed }) => parsed.kind === 'allUsers' || parsed.kind === 'allAuthenticatedUsers')) {
      throw invalid('Request contains an invalid argument.');
    }
    const owners = added.filter(
      ({ binding, parsed }) => binding.role === 'roles/owner' && parsed.kind === 'user',
    );
    if (owners.length > 0) {
      // A user becomes owner only by accepting a console invitation (setIamPolicy description);
      // shape from google-api-python-client #537 and terraform-provider-google #4276.
      throw invalid(
        'Request contains an invalid argument.',
        owners.map(({ member }) => ({
          '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError',
          type: 'SOLO_MUST_INVITE_OWNERS',
          member,
          role: 'roles/owner',
        })),
      );
    }
  }
  const { allowedMemberDomains } = directory;
  if (allowedMemberDomains !== undefined) {
    const outside = added.filter(({ parsed }) => !permittedByDomainRestriction(parsed, allowedMemberDomains));
    if (outside.length > 0) {
      // Google Cloud KB 000004666; `subject` per violation is the simulator's addition.
      throw identityApiError(
        'FAILED_PRECONDITION',
        'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
            violations: outside.map(({ member }) => ({
              type: 'constraints/iam.allowedPolicyMemberDomains',
              subject: member,
              description: 'User is not in permitted organization.',
            })),
          },
        ],
      );
    }
  }
  for (const { parsed } of added) {
    const address = parsed.address ?? '';
    const domain = address.split('@')[1] ?? '';
    // Only identities the fixture is authoritative for: users of the allowed domains (catalog §1.1:
    // "User … does not exist") and the project's own service accounts (wording from
    // GoogleCloudPlatform/generative-ai #944).
    if (parsed.kind === 'user' && allowedMemberDomains?.includes(domain) && !directory.users.has(address)) {
      throw invalid(`User ${address} does not exist.`);
    }
    if (
      parsed.kind === 'serviceAccount' &&
      domain === `${directory.projectId}.iam.gserviceaccount.com` &&
      !directory.serviceAccounts.has(address)
    ) {
      throw invalid(`Service account ${address} does not exist.`);
    }
  }
};

/**
 * Applies a `setIamPolicy` to the stored policy and returns the new stored policy (a new etag,
 * version 3 exactly when a binding has a condition). The order of checks: etag, versions, shape,
 * then the grants the write adds.
 *
 * @throws SimulatorApiError
 *   - ABORTED (409) when a non-empty etag is not the current one; an empty etag writes unconditionally.
 *   - INVALID_ARGUMENT for conditions below version 3, a version-1 write over a conditional policy
 *     with an etag, a bad role or member, too many members, public or owner-by-user grants on a
 *     project, an unknown user or service account.
 *   - FAILED_PRECONDITION for a member outside `iam.allowedPolicyMemberDomains`.
 */
const applyPolicyWrite = (
  current: IamPolicy,
  input: SetIamPolicyInput,
  rules: PolicyWriteRules,
): IamPolicy => {
  const { policy, fields } = input;
  if (policy.etag !== '' && policy.etag !== current.etag) {
    throw identityApiError('ABORTED', CONCURRENT_POLICY_CHANGE_MESSAGE);
  }
  // Without an etag Google skips version compliance (a blind set may drop conditions: Policy.etag);
  // with one, a version-1 write cannot replace a conditional policy (vault-plugin-secrets-gcp #88).
  if (fields.has('bindings') && policy.etag !== '' && hasConditions(current.bindings) && policy.version < 3) {
    throw invalid(
      `Specified policy version (${Math.max(policy.version, 1)}) cannot be less than the existing policy version (3). ${POLICY_VERSIONS_HELP}`,
    );
  }
  const bindings = fields.has('bindings') ? policy.bindings : current.bindings;
  if (fields.has('bindings')) {
    checkBindings(bindings, policy.version);
    checkNewGrants(current.bindings, bindings, rules);
  }
  const auditConfigs = fields.has('auditConfigs') ? policy.auditConfigs : (current.auditConfigs ?? []);
  return structuredClone({
    version: hasConditions(bindings) ? 3 : 1,
    etag: newPolicyEtag(current.etag),
    bindings,
    ...(auditConfigs.length === 0 ? {} : { auditConfigs }),
  });
};

/**
 * The input of a read-modify-write made in-process (the Kubernetes profile controller's workload
 * identity grants): the current etag, version 3 if needed, default mask.
 */
const inProcessWrite = (current: IamPolicy, bindings: PolicyBinding[]): SetIamPolicyInput => ({
  policy: {
    version: hasConditions(bindings) ? 3 : 1,
    etag: current.etag,
    bindings,
    auditConfigs: current.auditConfigs ?? [],
  },
  fields: DEFAULT_FIELDS,
});

/**
 * `current` with `member` added to the unconditional binding of `role` (created if missing), checked
 * as any write and with a new etag, even when the member was already there: the real controller
 * always writes.
 */
const withMemberGranted = (
  current: IamPolicy,
  role: string,
  member: string,
  rules: PolicyWriteRules,
): IamPolicy => {
  const bindings = structuredClone(current.bindings);
  const binding = bindings.find((candidate) => candidate.role === role && candidate.condition === undefined);
  if (!binding) bindings.push({ role, members: [member] });
  else if (!binding.members.includes(member)) binding.members.push(member);
  return applyPolicyWrite(current, inProcessWrite(current, bindings), rules);
};

/**
 * `current` without `member` in any binding of `role` (bindings left empty are dropped), or
 * `current` itself, untouched, when the member held no such binding.
 */
const withMemberRevoked = (
  current: IamPolicy,
  role: string,
  member: string,
  rules: PolicyWriteRules,
): IamPolicy => {
  const holds = current.bindings.some((binding) => binding.role === role && binding.members.includes(member));
  if (!holds) return current;
  const bindings = current.bindings
    .map((binding) =>
      binding.role === role
        ? { ...binding, members: binding.members.filter((item) => item !== member) }
        : binding,
    )
    .filter((binding) => binding.members.length > 0);
  return applyPolicyWrite(current, inProcessWrite(current, structuredClone(bindings)), rules);
};

export type {
  AuditConfig,
  AuditLogConfig,
  IamPolicy,
  LogType,
  ParsedMember,
  PolicyBinding,
  PolicyCondition,
  PolicyDirectory,
  PolicyField,
  PolicyMessageShape,
  PolicyResource,
  PolicyWriteRules,
  SetIamPolicyInput,
};
export {
  applyPolicyWrite,
  CONCURRENT_POLICY_CHANGE_MESSAGE,
  EMPTY_POLICY_ETAG,
  emptyPolicy,
  iamPolicySchema,
  identityApiError,
  LOG_TYPES,
  MAX_POLICY_MEMBERS,
  newPolicyEtag,
  parseMember,
  parsePolicyDirectory,
  policyResponse,
  readGetIamPolicyRequest,
  readRequestedPolicyVersion,
  readSetIamPolicyRequest,
  withMemberGranted,
  withMemberRevoked,
};
