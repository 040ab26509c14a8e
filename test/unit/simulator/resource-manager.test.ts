import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { createResourceManagerService, V3_PREFIX } from '../../../local/simulator/services/resource-manager';

type Fixture = {
  project: Record<string, unknown>;
  iam: { projectPolicy: { bindings: Array<Record<string, unknown>> } & Record<string, unknown> };
};

const fixture = (): Fixture => loadFixture(defaultFixturePath()) as Fixture;

describe('resource-manager service', () => {
  it.each([
    [
      'a binding without members',
      (broken: Fixture) => {
        broken.iam.projectPolicy.bindings[2] = { role: 'roles/container.admin', members: [] };
      },
      /iam\.projectPolicy\.bindings\[2\]\.members/,
    ],
    [
      'a conditional policy below version 3',
      (broken: Fixture) => {
        broken.iam.projectPolicy.version = 1;
      },
      /iam\.projectPolicy\.version/,
    ],
    [
      'a project number that is not a number',
      (broken: Fixture) => {
        broken.project.projectNumber = 'acme';
      },
      /project\.projectNumber/,
    ],
  ])('fails at creation on %s, naming its path', (_case, breakFixture, path) => {
    // Prepare
    const broken = fixture();
    breakFixture(broken);

    // Act
    const create = () => createResourceManagerService({ fixture: broken });

    // Assess
    expect(create).toThrow(/^Invalid Resource Manager fixture:/);
    expect(create).toThrow(path);
  });

  it('names v1 routes by their discovery id and v3 routes by the same id behind the v3: prefix', () => {
    // Act
    const { routes } = createResourceManagerService({ fixture: fixture() });

    // Assess
    expect(routes.map((route) => [route.method, route.template, route.name])).toEqual([
      ['GET', '/v1/projects/{resource}', 'cloudresourcemanager.projects.get'],
      ['POST', '/v1/projects/{resource}:getIamPolicy', 'cloudresourcemanager.projects.getIamPolicy'],
      ['POST', '/v1/projects/{resource}:setIamPolicy', 'cloudresourcemanager.projects.setIamPolicy'],
      ['GET', '/v3/projects/{project}', `${V3_PREFIX}cloudresourcemanager.projects.get`],
      [
        'POST',
        '/v3/projects/{project}:getIamPolicy',
        `${V3_PREFIX}cloudresourcemanager.projects.getIamPolicy`,
      ],
      [
        'POST',
        '/v3/projects/{project}:setIamPolicy',
        `${V3_PREFIX}cloudresourcemanager.projects.setIamPolicy`,
      ],
    ]);
    expect(routes.every((route) => route.discoveryMethod === route.name)).toBe(true);
  });

  it('snapshots the policy as seeded and refuses an invalid snapshot', () => {
    // Prepare
    const service = createResourceManagerService({ fixture: fixture() });

    // Act
    const snapshot = service.snapshot?.() as { policy: { etag: string } };
    const restoreBroken = () => service.restore?.({ policy: { etag: 'not base64!' } });

    // Assess
    expect(snapshot.policy.etag).toBe('BwY0rV3kQyE=');
    expect(restoreBroken).toThrow(/Invalid Resource Manager state snapshot:[\s\S]*policy\.etag/);
  });
});
