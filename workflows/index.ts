// Every workflow the worker registers.
export { phoneNumberLifecycle } from './lifecycle';
export { registerOperation } from './register-operation';
export { deregisterOperation } from './deregister-operation';
