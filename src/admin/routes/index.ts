import type { AdminRoute } from '../route.ts';
import { agentRegistryRoutes } from './agent-registries.ts';
import { agentRoutes } from './agents.ts';
import { catalogRoutes } from './catalog.ts';
import { operationRoutes } from './operations.ts';
import { operatorRoutes } from './operators.ts';

/** Every admin route, in the order the OpenAPI document lists them. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [...operatorRoutes, ...agentRoutes, ...agentRegistryRoutes, ...operationRoutes, ...catalogRoutes];
