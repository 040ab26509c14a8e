import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { createIapService } from '../../../local/simulator/services/iap';

type Fixture = { iam: Record<string, unknown> & { iapPolicy?: Record<string, unknown> } };

const fixture = (): Fixture => loadFixture(defaultFixturePath()) as Fixture;

describe('iap service', () => {
  it('fails at creation on a policy for a resource IAP does not have, naming its path', () => {
    // Prepare
    const broken = fixture();
    broken.iam.iapPolicy = { ...broken.iam.iapPolicy, resource: 'projects/acme-ml-prod/iap_web/compute' };

    // Act
    const create = () => createIapService({ fixture: broken });

    // Assess
    expect(create).toThrow(/^Invalid IAP fixture:[\s\S]*iam\.iapPolicy\.resource/);
  });

  it('starts with no policies when the fixture has none', () => {
    // Prepare
    const bare = fixture();
    delete bare.iam.iapPolicy;

    // Act
    const service = createIapService({ fixture: bare });

    // Assess
    expect(service.snapshot?.()).toEqual({ policies: {} });
  });

  it('serves three resource forms through the two discovery methods', () => {
    // Act
    const { routes } = createIapService({ fixture: fixture() });

    // Assess
    expect(routes.map((route) => route.template)).toEqual([
      '/v1/projects/{project}/iap_web:getIamPolicy',
      '/v1/projects/{project}/iap_web:setIamPolicy',
      '/v1/projects/{project}/iap_web/compute:getIamPolicy',
      '/v1/projects/{project}/iap_web/compute:setIamPolicy',
      '/v1/projects/{project}/iap_web/compute/services/{service}:getIamPolicy',
      '/v1/projects/{project}/iap_web/compute/services/{service}:setIamPolicy',
    ]);
    expect(new Set(routes.map((route) => `${route.name} ${route.discoveryMethod}`))).toEqual(
      new Set(['iap.getIamPolicy iap.getIamPolicy', 'iap.setIamPolicy iap.setIamPolicy']),
    );
  });
});
