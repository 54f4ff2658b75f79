/**
 * The one place that knows every platform. Adding one means writing a `PlatformDriver` and adding
 * a line here; scenarios, fixtures and scripts only see the interface in platform.ts.
 */
import type { PlatformDriver } from './platform.js';
import type { PlatformName } from './config.js';

const drivers: Record<PlatformName, () => Promise<PlatformDriver>> = {
  local: async () => new (await import('./local/local-driver.js')).LocalDriver(),
  kind: async () => new (await import('./kube/kind-driver.js')).KindDriver(),
  jetstream: async () => new (await import('./kube/jetstream-driver.js')).JetstreamDriver(),
  kwok: async () => new (await import('./kube/kwok-driver.js')).KwokDriver(),
};

export async function createDriver(name: PlatformName): Promise<PlatformDriver> {
  return drivers[name]();
}
