import {
  cloudresourcemanager,
  type cloudresourcemanager_v1,
  type cloudresourcemanager_v3,
  auth as crmAuth,
} from '@googleapis/cloudresourcemanager';
import { iam, type iam_v1, auth as iamAuth } from '@googleapis/iam';
// No @googleapis/iap package exists: googleapis' per-API build is imported alone, which loads IAP's
// client without the other few hundred APIs.
import { iap, type iap_v1, auth as iapAuth } from 'googleapis/build/src/apis/iap';
import type { ServiceModule } from '../../local/simulator/service';
import { createIamService, type IamService } from '../../local/simulator/services/iam';
import { createIapService } from '../../local/simulator/services/iap';
import { createResourceManagerService } from '../../local/simulator/services/resource-manager';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from '../../local/simulator/simulator';

import { fakeDiscoveryAuth, rootUrlOf } from './simulator';

/**
 * The discovery clients of IAM, Resource Manager (v1 and v3) and IAP pointed at the simulator, and a
 * simulator that serves those three services from the shared fixture. Each client gets its own
 * package's OAuth2 class (`auth.OAuth2`) holding a fake, unexpired token, so it never refreshes or
 * looks for credentials: the packages bundle different google-auth-library majors whose clients do
 * not satisfy each other's types.
 */

/** An IAM v1 client for `simulator.endpoints.iam`. */
const iamClientFor = (endpoint: string): iam_v1.Iam =>
  iam({ version: 'v1', auth: fakeDiscoveryAuth(iamAuth.OAuth2), rootUrl: rootUrlOf(endpoint) });

const resourceManagerAuth = () => fakeDiscoveryAuth(crmAuth.OAuth2);

/** A Resource Manager v1 client for `simulator.endpoints.cloudresourcemanager`. */
const resourceManagerV1ClientFor = (endpoint: string): cloudresourcemanager_v1.Cloudresourcemanager =>
  cloudresourcemanager({ version: 'v1', auth: resourceManagerAuth(), rootUrl: rootUrlOf(endpoint) });

/** A Resource Manager v3 client for `simulator.endpoints.cloudresourcemanager`. */
const resourceManagerV3ClientFor = (endpoint: string): cloudresourcemanager_v3.Cloudresourcemanager =>
  cloudresourcemanager({ version: 'v3', auth: resourceManagerAuth(), rootUrl: rootUrlOf(endpoint) });

/** An IAP v1 client for `simulator.endpoints.iap`. */
const iapClientFor = (endpoint: string): iap_v1.Iap =>
  iap({ version: 'v1', auth: fakeDiscoveryAuth(iapAuth.OAuth2), rootUrl: rootUrlOf(endpoint) });

/** A simulator serving IAM, Resource Manager and IAP, with handles on those services. */
interface IdentitySimulator {
  simulator: RunningSimulator;
  iam: IamService;
  resourceManager: ServiceModule;
  iap: ServiceModule;
}

/**
 * Starts a simulator on free ports, seeded from the shared acme-ml-prod fixture, with its own
 * instances of the three identity services (replacing the defaults), so tests hold their handles.
 */
const startIdentitySimulator = async (
  options: Omit<SimulatorOptions, 'fixture' | 'extraServices'> = {},
): Promise<IdentitySimulator> => {
  const fixture = loadFixture(defaultFixturePath());
  const iamService = createIamService({ fixture });
  const resourceManager = createResourceManagerService({ fixture });
  const iapService = createIapService({ fixture });
  const simulator = await startSimulator({
    timeScale: 0,
    ...options,
    fixture,
    extraServices: [iamService.service, resourceManager, iapService],
  });
  return { simulator, iam: iamService, resourceManager, iap: iapService };
};

export type { IdentitySimulator };
export {
  iamClientFor,
  iapClientFor,
  resourceManagerV1ClientFor,
  resourceManagerV3ClientFor,
  startIdentitySimulator,
};
