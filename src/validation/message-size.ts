import { RunError, RunErrorCode } from '@riser/run-core';

/**
 * The one check of a chat message's size (MAX_MESSAGE_BYTES, in UTF-8 bytes), for every
 * transport that takes one: HTTP answers 413, sockets `message_too_large`.
 */
export function assertMessageSize(message: string, maxBytes: number): void {
  if (Buffer.byteLength(message, 'utf8') > maxBytes) {
    throw new RunError(RunErrorCode.messageTooLarge, `message is larger than ${maxBytes} bytes`);
  }
}
