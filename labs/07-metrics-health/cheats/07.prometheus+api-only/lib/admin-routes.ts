// Cheat: /metrics is served on the API's admin port only; the optimizer and the worker have none.
// The admin port's routes, one module per topic: a lab that gives operators something new to
// look at (lab 04's resources, lab 07's metrics and health) adds its module and one line here.
import { resourcesRoute } from './active-resources.ts';
import type { AdminRoute } from './admin-reply.ts';
import { eventLoopRoute } from './event-loop-delay.ts';
import { profileRoutes } from './profiles.ts';

/** The routes every process serves; `service` names the profile files. */
export function adminRoutes(service: string): AdminRoute[] {
  return [...profileRoutes(service), eventLoopRoute(), resourcesRoute()];
}
