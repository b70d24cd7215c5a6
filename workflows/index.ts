// Every workflow the worker registers.
export { phoneNumberLifecycle } from './lifecycle';
export { registerOperation } from './register-operation';
export { deregisterOperation } from './deregister-operation';
export { verifyOperation } from './verify-operation';
export { setPinOperation } from './set-pin-operation';
export { onboardOperation } from './onboard-operation';
