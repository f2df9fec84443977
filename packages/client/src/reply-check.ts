/**
 * What a frame from the server means when it is not the reply a request asked for: the typed error a
 * {@link Client} rejects the request with, or emits as an `error` event. I/O-free; no allocation when
 * the reply is the expected one.
 */
import { Flags, MessageType, decodeError, messageTypeName, type Frame } from '@sockbench/protocol';
import { ErrorReply, UnexpectedFrameError, type ClientError } from './errors.js';

/**
 * Checks a reply matched by id against the request it answers (`requestType`).
 * @returns undefined when `frame` is that request's reply; else the error the request rejects with:
 *   {@link UnexpectedFrameError} for a frame without the RESPONSE flag or of another type, the ERROR
 *   reply as {@link errorFrameToError} reads it
 */
export function checkReply(frame: Frame, requestType: number): ClientError | undefined {
  const id = frame.id;
  if ((frame.flags & Flags.RESPONSE) === 0) {
    return new UnexpectedFrameError(frame.type, id, `frame with id ${id} lacks the RESPONSE flag`);
  }
  if (frame.type === MessageType.ERROR) return errorFrameToError(frame);
  if (frame.type !== requestType) {
    return new UnexpectedFrameError(frame.type, id, `${messageTypeName(requestType)} request ${id} got a ${messageTypeName(frame.type)} reply`);
  }
  return undefined;
}

/**
 * An ERROR frame (reply or push) as an error: {@link ErrorReply} with the protocol code, the server's
 * message and the frame's id; {@link UnexpectedFrameError} when its payload is under 2 bytes.
 */
export function errorFrameToError(frame: Frame): ClientError {
  try {
    const { code, message } = decodeError(frame.payload, frame.id);
    return new ErrorReply(code, message, frame.id);
  } catch (err) {
    return new UnexpectedFrameError(frame.type, frame.id, (err as Error).message, { cause: err });
  }
}

/** A reply whose id no request is waiting for (it came after its timeout, twice, or was never asked). */
export function strayReplyError(frame: Frame): UnexpectedFrameError {
  return new UnexpectedFrameError(
    frame.type,
    frame.id,
    `${messageTypeName(frame.type)} reply with id ${frame.id}, which no request is waiting for (late, duplicate or unknown)`,
  );
}
