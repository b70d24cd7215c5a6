// Failure messages and stack traces travel inside an encoded payload (encrypted by the payload codec), not
// in plaintext history: Meta's error texts and our own messages can name a number's state in detail.
// Loaded by path (dataConverter.failureConverterPath), so the workflow bundle uses it too.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
