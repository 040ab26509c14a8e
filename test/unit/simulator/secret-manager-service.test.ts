import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import type { RouteResponse, ServiceModule, SimulatorContext } from '../../../local/simulator/service';
import { createSecretManagerService } from '../../../local/simulator/services/secret-manager';
import { silentLogger } from '../../../shared/logging';
import { ManualClock } from '../../../shared/time';

const NUMBER = '734118209551';
const KEY = Buffer.alloc(32, 3);

/** The little of a SimulatorContext this service reads: the clock. */
const contextAt = (clock: ManualClock): SimulatorContext =>
  ({
    clock,
    timeScale: 0,
    logger: silentLogger,
    faults: { operationError: () => undefined },
  }) as unknown as SimulatorContext;

/** Calls a route of `service` in-process, as the listener would after routing. */
const call = (
  service: ServiceModule,
  name: string,
  params: Record<string, string>,
  options: { query?: Record<string, string>; body?: unknown } = {},
): RouteResponse => {
  const route = service.routes.find((candidate) => candidate.name === `secretmanager.projects.${name}`);
  if (!route) throw new Error(`no route ${name}`);
  return route.handle(
    {
      method: route.method,
      path: route.template.replace(/\{(\w+)\}/g, (_match, key: string) => params[key] ?? ''),
      params,
      query: new URLSearchParams(options.query),
      body: options.body,
    },
    contextAt(new ManualClock('2026-03-02T19:00:00Z')),
  );
};

const addVersion = (service: ServiceModule, secret: string, text: string) =>
  call(
    service,
    'secrets.addVersion',
    { project: 'acme-ml-prod', secret },
    {
      body: { payload: { data: Buffer.from(text).toString('base64') } },
    },
  ).body as { name: string };

const accessText = (service: ServiceModule, secret: string, version: string): string => {
  const { body } = call(service, 'secrets.versions.access', { project: NUMBER, secret, version });
  return Buffer.from((body as { payload: { data: string } }).payload.data, 'base64').toString('utf8');
};

describe('secret-manager service', () => {
  it('names each route by its discovery method id', () => {
    // Act
    const service = createSecretManagerService({ fixture: loadFixture(defaultFixturePath()) });

    // Assess
    expect(service.name).toBe('secretmanager');
    expect(service.routes.map((route) => [route.method, route.name])).toEqual([
      ['GET', 'secretmanager.projects.secrets.list'],
      ['POST', 'secretmanager.projects.secrets.create'],
      ['GET', 'secretmanager.projects.secrets.get'],
      ['POST', 'secretmanager.projects.secrets.addVersion'],
      ['GET', 'secretmanager.projects.secrets.versions.list'],
      ['GET', 'secretmanager.projects.secrets.versions.get'],
      ['GET', 'secretmanager.projects.secrets.versions.access'],
      ['POST', 'secretmanager.projects.secrets.versions.enable'],
      ['POST', 'secretmanager.projects.secrets.versions.disable'],
      ['POST', 'secretmanager.projects.secrets.versions.destroy'],
    ]);
    for (const route of service.routes) expect(route.discoveryMethod).toBe(route.name);
  });

  it('fails at creation naming the invalid fixture path', () => {
    // Prepare
    const fixture = loadFixture(defaultFixturePath()) as {
      secretManager: { secrets: Array<{ createTime: unknown }> };
    };
    const broken = structuredClone(fixture);
    (broken.secretManager.secrets[2] as { createTime: unknown }).createTime = 'yesterday';

    // Act
    const create = () => createSecretManagerService({ fixture: broken });

    // Assess
    expect(create).toThrow(/Invalid Secret Manager fixture[\s\S]*secretManager\.secrets\[2\]\.createTime/);
  });

  it('goes back to the fixture on reset', () => {
    // Prepare
    const service = createSecretManagerService({ fixture: loadFixture(defaultFixturePath()) });
    addVersion(service, 'ci-terraform-key', 'rotated');

    // Act
    service.reset?.();

    // Assess
    const { body } = call(service, 'secrets.versions.list', { project: NUMBER, secret: 'ci-terraform-key' });
    expect((body as { totalSize: number }).totalSize).toBe(2);
  });

  it('restores a snapshot into another service instance given the same payload key', () => {
    // Prepare
    const fixture = loadFixture(defaultFixturePath());
    const first = createSecretManagerService({ fixture, payloadKey: KEY });
    const added = addVersion(first, 'ci-terraform-key', 'rotated-key');
    const onDisk = JSON.stringify(first.snapshot?.());
    const second = createSecretManagerService({ fixture, payloadKey: KEY });

    // Act
    second.restore?.(JSON.parse(onDisk));

    // Assess
    expect(added.name).toBe(`projects/${NUMBER}/secrets/ci-terraform-key/versions/3`);
    expect(onDisk).not.toContain('rotated-key');
    expect(onDisk).not.toContain(Buffer.from('rotated-key').toString('base64'));
    expect(accessText(second, 'ci-terraform-key', 'latest')).toBe('rotated-key');
  });

  it('refuses a snapshot sealed under another key and keeps its state', () => {
    // Prepare
    const fixture = loadFixture(defaultFixturePath());
    const first = createSecretManagerService({ fixture, payloadKey: KEY });
    addVersion(first, 'ci-terraform-key', 'rotated-key');
    const snapshot = first.snapshot?.();
    const other = createSecretManagerService({ fixture });
    addVersion(other, 'metaflow-db-password', 'kept');

    // Act
    const restore = () => other.restore?.(snapshot);

    // Assess
    expect(restore).toThrow(/Cannot unseal the payload/);
    expect(accessText(other, 'metaflow-db-password', '2')).toBe('kept');
  });
});
