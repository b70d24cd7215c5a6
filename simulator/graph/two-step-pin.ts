// POST /{phone-number-id} with `pin` (reference doc §4): the two-step verification PIN, set or changed
// without the old one. The only field of the node this simulator lets a client write.
import { graphErrors } from '../graph-errors';
import type { Outcome } from '../outcome';
import { hashPin } from '../phone-numbers';
import { guardedPost } from './answers';
import type { PhoneNumberCall } from './call';
import { parsePin } from './params';

/** Parameters POST /{id} accepts besides the token: this simulator models only the two-step PIN there. */
const SET_PIN_PARAMS = new Set(['pin', 'access_token']);

/**
 * POST /{id} with `pin` (reference doc §4): sets or changes the two-step PIN without the old one.
 * `applied` = the PIN changed (setting the same PIN again changes nothing).
 */
export function handleSetPin(call: PhoneNumberCall): Outcome {
  const { deps, record, params } = call;
  return guardedPost(call, () => {
    const unsupported = Object.keys(params).find((k) => !SET_PIN_PARAMS.has(k));
    if (unsupported !== undefined) {
      throw graphErrors.invalidParameter(
        `Param ${unsupported} is not supported by this call`,
        'POST /{phone-number-id} here sets the two-step verification PIN only: send just pin.',
      );
    }
    const hash = hashPin(record.id, parsePin(params.pin));
    const applied = record.pin_hash !== hash;
    if (applied) {
      record.pin_hash = hash;
      deps.state.save();
    }
    return { status: 200, json: { success: true }, counted: false, applied };
  });
}
