import { z } from 'zod';
import { RunError, RunErrorCode } from '@riser/run-core';
import { assertMessageSize } from '../../validation/message-size.js';
import { ZodPipe } from '../../validation/zod.pipe.js';
import { wsApproveSchema, wsCancelSchema, wsChatSchema, wsSubscribeSchema } from '../ws.schemas.js';

/** A client's own id for a message, echoed as `ref` on the answers to it. */
export type Ref = string | number;

/**
 * What a client may send over `/chat/ws`, one JSON object per text frame. Without `type`
 * (or `"type": "message"`) it is the seed's `{"message", "thread_id"}`; the rest are
 * Socket.IO's events under the same schemas.
 */
export type ClientCommand =
  | { type: 'message'; body: z.infer<typeof wsChatSchema> }
  | { type: 'subscribe'; body: z.infer<typeof wsSubscribeSchema> }
  | { type: 'approve'; body: z.infer<typeof wsApproveSchema> }
  | { type: 'cancel'; body: z.infer<typeof wsCancelSchema> };

const PIPES = {
  message: new ZodPipe(wsChatSchema),
  subscribe: new ZodPipe(wsSubscribeSchema),
  approve: new ZodPipe(wsApproveSchema),
  cancel: new ZodPipe(wsCancelSchema),
} as const;
const TYPES = Object.keys(PIPES) as ClientCommand['type'][];

const refSchema = z.union([z.string().max(200), z.number().finite()]);

/**
 * A frame as JSON: binary frames, text that is not JSON and JSON that is not an object are
 * refused (`invalid_request`, `invalid_json`), as is an `id` that could not be echoed.
 */
export function parseFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): { ref?: Ref; value: Record<string, unknown> } {
  if (isBinary) throw new RunError(RunErrorCode.invalidRequest, 'binary frames are not accepted: send JSON as text', { field: 'frame' });
  let value: unknown;
  try {
    value = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    throw new RunError(RunErrorCode.invalidJson, 'the frame is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RunError(RunErrorCode.invalidRequest, 'the frame must be a JSON object', { field: 'frame' });
  }
  const object = value as Record<string, unknown>;
  if (object.id === undefined) return { value: object };
  const ref = refSchema.safeParse(object.id);
  if (!ref.success) throw new RunError(RunErrorCode.invalidRequest, 'id: must be a string of up to 200 characters or a number', { field: 'id' });
  return { ref: ref.data, value: object };
}

/** The command a frame holds, validated by its schema (with the storable-text check) and size. */
export function readCommand(value: Record<string, unknown>, maxMessageBytes: number): ClientCommand {
  const type = value.type ?? 'message';
  if (typeof type !== 'string' || !(TYPES as string[]).includes(type)) {
    throw new RunError(RunErrorCode.invalidRequest, `type: must be one of ${TYPES.join(', ')} (or absent for a message)`, { field: 'type' });
  }
  const command = { type, body: PIPES[type as ClientCommand['type']].transform(value) } as ClientCommand;
  if (command.type === 'message') assertMessageSize(command.body.message, maxMessageBytes);
  return command;
}
