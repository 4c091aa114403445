import { PageDelivery } from './page.js';
import type { EngineMode } from './channel.js';
import type { CreateDelivery, Delivery } from './types.js';

export type { CreateDelivery, Delivery, DeliveryContext } from './types.js';
export type { EngineMode } from './channel.js';
export { DeliveryDropError } from '../errors.js';

/** Delivery for a recorder with `project` and `endpoint`: the page side, which starts the engine. */
export const createDelivery: CreateDelivery = (context) => new PageDelivery(context);

/** For tests and diagnostics: how a delivery created by createDelivery runs its engine. */
export function deliveryMode(delivery: Delivery): EngineMode | undefined {
  return delivery instanceof PageDelivery ? delivery.mode : undefined;
}
