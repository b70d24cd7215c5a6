// Every workflow the worker registers.
export { phoneNumberLifecycle } from './lifecycle';
export { verifyOperation } from './verify-operation';
export { numberFleet } from './fleet';
export { metaWebhookIntake } from './meta-webhook-intake';
export { webhookDelivery } from './webhook-delivery';
export { webhookSubscriptions } from './webhook-subscriptions';
