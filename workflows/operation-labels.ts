import { upsertSearchAttributes } from '@temporalio/workflow';
import type { OperationInput } from '../domain/operations';
import { WaOperation, WaPhoneNumberId, WaWabaId } from '../domain/search-attributes';

/** Search attributes every operation run carries, so the UI finds it by number, WABA and kind. */
export function labelOperation(input: OperationInput): void {
  upsertSearchAttributes([
    { key: WaPhoneNumberId, value: input.phoneNumberId },
    { key: WaOperation, value: input.request.operation },
    ...(input.request.wabaId ? [{ key: WaWabaId, value: input.request.wabaId }] : []),
  ]);
}
