// Set or change the two-step PIN. The lifecycle records that a PIN is set, never the PIN.
import type { SetPinRequest } from '../domain/operations';
import { verification } from './activity-proxies';
import type { OperationContext } from './operation-context';

export async function runSetPin(ctx: OperationContext, request: SetPinRequest): Promise<'completed'> {
  await ctx.progress.active('setting the two-step PIN');
  await verification.setTwoStepPin(ctx.phoneNumberId, request.pin);
  ctx.learn({ pinSet: true });
  return 'completed';
}
