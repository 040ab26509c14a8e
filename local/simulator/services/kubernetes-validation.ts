import type { FieldError } from './kubernetes-errors';
import { isJsonObject, jsonEqual, type KubeObject, type ResourceName } from './kubernetes-model';

/**
 * Defaulting and validation of the served kinds, after the API server's (pkg/apis/core/validation,
 * pkg/apis/rbac/validation) and, for Profiles, the CRD's OpenAPI schema. Only the checks that decide
 * what opsplane's calls can get wrong are modelled; each failure is a field error that ends up in
 * a 422 Invalid.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** resource.Quantity, as the Profile CRD spells it for `resourceQuotaSpec.hard`. */
const QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** Quota resource names without a `/` that core validation accepts (IsStandardQuotaResourceName). */
const STANDARD_QUOTA_RESOURCES = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
  'cpu',
  'memory',
  'ephemeral-storage',
  'storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
]);

const RBAC_GROUP = 'rbac.authorization.k8s.io';

const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
  "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
  "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const required = (field: string): FieldError => ({
  field,
  reason: 'FieldValueRequired',
  detail: 'Required value',
});
const invalid = (field: string, value: unknown, why: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  detail: `Invalid value: ${JSON.stringify(value)}: ${why}`,
});
const notSupported = (field: string, value: unknown, supported: readonly string[]): FieldError => ({
  field,
  reason: 'FieldValueNotSupported',
  detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});

/** Checks a `metadata.name` the way the resource's registry does. */
const validateName = (resource: ResourceName, name: string, field = 'metadata.name'): FieldError[] => {
  if (name === '') return [required(field)];
  switch (resource) {
    case 'namespaces':
      return DNS1123_LABEL.test(name) && name.length <= 63 ? [] : [invalid(field, name, LABEL_MESSAGE)];
    case 'rolebindings': {
      // RBAC names are path segments: anything but `.`, `..`, `/` and `%`.
      if (name === '.' || name === '..') return [invalid(field, name, `may not be '${name}'`)];
      const bad = ['/', '%'].find((character) => name.includes(character));
      return bad ? [invalid(field, name, `may not contain '${bad}'`)] : [];
    }
    default:
      return DNS1123_SUBDOMAIN.test(name) && name.length <= 253
        ? []
        : [invalid(field, name, SUBDOMAIN_MESSAGE)];
  }
};

const validateStringMap = (value: unknown, field: string, labels: boolean): FieldError[] => {
  if (value === undefined) return [];
  if (!isJsonObject(value)) return [invalid(field, value, 'must be a map of strings')];
  const errors: FieldError[] = [];
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      errors.push(invalid(`${field}.${key}`, entry, 'must be a string'));
      continue;
    }
    if (!labels) continue;
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    if (!QUALIFIED_NAME.test(key) || name.length > 63) {
      errors.push(
        invalid(
          field,
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
    if (!LABEL_VALUE.test(entry) || entry.length > 63) {
      errors.push(
        invalid(
          `${field}.${key}`,
          entry,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
  }
  return errors;
};

const isQuantity = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) ||
  (typeof value === 'string' && QUANTITY.test(value));

/** `spec.hard` of a ResourceQuota: standard resource names, quantity values. */
const validateQuotaHard = (hard: unknown, field: string): FieldError[] => {
  if (hard === undefined) return [];
  if (!isJsonObject(hard)) return [invalid(field, hard, 'must be a map of resource name to quantity')];
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(hard)) {
    const standard =
      STANDARD_QUOTA_RESOURCES.has(name) ||
      name.startsWith('count/') ||
      /^(requests\.|limits\.)?hugepages-/.test(name) ||
      (name.includes('/') && QUALIFIED_NAME.test(name));
    if (!standard) errors.push(invalid(`${field}[${name}]`, name, 'must be a standard resource for quota'));
    if (!isQuantity(value)) {
      errors.push(
        invalid(
          `${field}[${name}]`,
          value,
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
      );
    }
  }
  return errors;
};

const validateProfileSpec = (spec: unknown): FieldError[] => {
  if (spec === undefined) return [];
  if (!isJsonObject(spec)) return [invalid('spec', spec, 'spec in body must be of type object')];
  const errors: FieldError[] = [];
  const { owner, plugins, resourceQuotaSpec } = spec;
  if (owner !== undefined) {
    if (!isJsonObject(owner))
      errors.push(invalid('spec.owner', owner, 'spec.owner in body must be of type object'));
    else {
      for (const key of ['kind', 'name'] as const) {
        if (owner[key] === undefined) errors.push(required(`spec.owner.${key}`));
        else if (typeof owner[key] !== 'string') {
          errors.push(
            invalid(`spec.owner.${key}`, owner[key], `spec.owner.${key} in body must be of type string`),
          );
        }
      }
    }
  }
  if (plugins !== undefined) {
    if (!Array.isArray(plugins))
      errors.push(invalid('spec.plugins', plugins, 'spec.plugins in body must be of type array'));
    else
      plugins.forEach((plugin, index) => {
        if (!isJsonObject(plugin))
          errors.push(invalid(`spec.plugins[${index}]`, plugin, 'must be of type object'));
        else if (plugin.spec !== undefined && !isJsonObject(plugin.spec)) {
          errors.push(invalid(`spec.plugins[${index}].spec`, plugin.spec, 'must be of type object'));
        }
      });
  }
  if (resourceQuotaSpec !== undefined) {
    if (!isJsonObject(resourceQuotaSpec)) {
      errors.push(invalid('spec.resourceQuotaSpec', resourceQuotaSpec, 'must be of type object'));
    } else if (resourceQuotaSpec.hard !== undefined) {
      // The CRD checks the values' pattern but not the keys: a bad key only fails when the
      // controller creates the ResourceQuota (kubeflow/kubeflow#4965).
      const hard = resourceQuotaSpec.hard;
      if (!isJsonObject(hard))
        errors.push(invalid('spec.resourceQuotaSpec.hard', hard, 'must be of type object'));
      else
        for (const [name, value] of Object.entries(hard)) {
          if (!isQuantity(value)) {
            errors.push(
              invalid(
                `spec.resourceQuotaSpec.hard.${name}`,
                value,
                `spec.resourceQuotaSpec.hard.${name} in body should match '${QUANTITY.source}'`,
              ),
            );
          }
        }
    }
  }
  return errors;
};

/** RBAC v1 defaulting: the RBAC group on roleRef and on User/Group subjects. */
const defaultRoleBinding = (object: KubeObject): void => {
  if (isJsonObject(object.roleRef) && (object.roleRef.apiGroup ?? '') === '')
    object.roleRef.apiGroup = RBAC_GROUP;
  if (!Array.isArray(object.subjects)) return;
  for (const subject of object.subjects) {
    if (!isJsonObject(subject) || (subject.apiGroup ?? '') !== '') continue;
    if (subject.kind === 'User' || subject.kind === 'Group') subject.apiGroup = RBAC_GROUP;
  }
};

const validateRoleBinding = (object: KubeObject): FieldError[] => {
  const errors: FieldError[] = [];
  const roleRef = object.roleRef;
  if (!isJsonObject(roleRef)) errors.push(required('roleRef'));
  else {
    if (roleRef.kind === undefined || roleRef.kind === '') errors.push(required('roleRef.kind'));
    else if (roleRef.kind !== 'Role' && roleRef.kind !== 'ClusterRole') {
      errors.push(notSupported('roleRef.kind', roleRef.kind, ['Role', 'ClusterRole']));
    }
    if (roleRef.apiGroup !== RBAC_GROUP)
      errors.push(notSupported('roleRef.apiGroup', roleRef.apiGroup, [RBAC_GROUP]));
    if (typeof roleRef.name !== 'string' || roleRef.name === '') errors.push(required('roleRef.name'));
  }
  if (object.subjects !== undefined && !Array.isArray(object.subjects)) {
    errors.push(invalid('subjects', object.subjects, 'must be a list'));
  }
  const subjects = Array.isArray(object.subjects) ? object.subjects : [];
  subjects.forEach((subject: unknown, index) => {
    const field = `subjects[${index}]`;
    if (!isJsonObject(subject)) {
      errors.push(invalid(field, subject, 'must be an object'));
      return;
    }
    if (typeof subject.name !== 'string' || subject.name === '') errors.push(required(`${field}.name`));
    switch (subject.kind) {
      case 'ServiceAccount':
        if ((subject.apiGroup ?? '') !== '')
          errors.push(notSupported(`${field}.apiGroup`, subject.apiGroup, ['']));
        break;
      case 'User':
      case 'Group':
        if (subject.apiGroup !== RBAC_GROUP)
          errors.push(notSupported(`${field}.apiGroup`, subject.apiGroup, [RBAC_GROUP]));
        break;
      default:
        errors.push(notSupported(`${field}.kind`, subject.kind, ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errors;
};

/**
 * Applies the resource's defaults to `object` in place and returns every validation failure.
 * `metadata.name` must already be resolved (generateName applied).
 */
const defaultAndValidate = (resource: ResourceName, object: KubeObject): FieldError[] => {
  const errors = [
    ...validateName(resource, object.metadata.name),
    ...validateStringMap(object.metadata.labels, 'metadata.labels', true),
    ...validateStringMap(object.metadata.annotations, 'metadata.annotations', false),
  ];
  switch (resource) {
    case 'profiles':
      errors.push(...validateProfileSpec(object.spec));
      break;
    case 'resourcequotas':
      if (object.spec !== undefined && !isJsonObject(object.spec))
        errors.push(invalid('spec', object.spec, 'must be an object'));
      else errors.push(...validateQuotaHard(object.spec?.hard, 'spec.hard'));
      break;
    case 'rolebindings':
      defaultRoleBinding(object);
      errors.push(...validateRoleBinding(object));
      break;
    case 'nodes': {
      // What a cordon writes; a string "true" would be decoded as an error by the real server.
      const unschedulable = isJsonObject(object.spec) ? object.spec.unschedulable : undefined;
      if (unschedulable !== undefined && unschedulable !== null && typeof unschedulable !== 'boolean') {
        errors.push(invalid('spec.unschedulable', unschedulable, 'must be a boolean'));
      }
      break;
    }
    default:
      break;
  }
  return errors;
};

/** Failures only an update can have: fields that cannot change once set. */
const validateUpdate = (resource: ResourceName, previous: KubeObject, next: KubeObject): FieldError[] => {
  if (resource === 'rolebindings' && !jsonEqual(previous.roleRef, next.roleRef)) {
    return [invalid('roleRef', next.roleRef, 'cannot change roleRef')];
  }
  return [];
};

export { defaultAndValidate, validateName, validateQuotaHard, validateUpdate };
