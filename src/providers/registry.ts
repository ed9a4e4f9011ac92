import type { ProviderAdapter, ProviderRegistry } from '../engine/ports.ts';
import { SimulatedProviderAdapter } from './simulated/index.ts';
import { AlsecoProviderAdapter } from './alseco/index.ts';
import type { AlsecoConfig } from './alseco/config.ts';
import { systemClock, type Clock } from '../domain/clock.ts';

/**
 * Every provider route the catalog may name (services.provider). A new provider is one folder under providers/ and
 * one line here.
 */
export function buildProviderRegistry(
  alseco: AlsecoConfig, sandboxBaseUrl: () => string, clock: Clock = systemClock, hubOffsetMinutes = 300,
): ProviderRegistry & { names(): string[] } {
  const sandbox = (name: string) => new SimulatedProviderAdapter(`sandbox-${name}`, () => `${sandboxBaseUrl()}/${name}`, hubOffsetMinutes);
  const adapters: ProviderAdapter[] = [
    sandbox('mobile'),
    sandbox('mobile-kcell'),
    sandbox('mobile-kg'),
    sandbox('internet-kg'),
    sandbox('shop'),
    sandbox('bank'),
    sandbox('intl'),
    sandbox('utility'),
    new AlsecoProviderAdapter(alseco, sandboxBaseUrl, clock),
  ];
  const byName = new Map(adapters.map((adapter) => [adapter.name, adapter]));
  return { get: (name) => byName.get(name), names: () => [...byName.keys()] };
}
