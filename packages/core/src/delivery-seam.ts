import type { CreateDelivery } from './delivery/types.js';

/*
 * delivery seam: capture does not import delivery directly, so the two could be built in parallel
 * and the recorder stays usable with only `onEvents` (tests, custom transports). `index.ts`
 * registers the real `createDelivery` here; the recorder asks for it when `project` and
 * `endpoint` are both set.
 */

let deliveryFactory: CreateDelivery | undefined;

/** Register (or, with `undefined`, remove) the delivery used by recorders that have `project` and `endpoint`. */
export function setDeliveryFactory(factory: CreateDelivery | undefined): void {
  deliveryFactory = factory;
}

export function getDeliveryFactory(): CreateDelivery | undefined {
  return deliveryFactory;
}
