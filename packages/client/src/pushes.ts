/**
 * Pushes (frames with id 0) routed to what a {@link Client} emits: a CHAT from a joined room, or an
 * error for an ERROR push, an unknown push type or a push that does not decode. I/O-free.
 */
import { MessageType, decodeChat, messageTypeName, type Chat, type Frame } from '@sockbench/protocol';
import { UnexpectedFrameError, type ClientError } from './errors.js';
import { errorFrameToError } from './reply-check.js';

/** Where {@link dispatchPush} delivers a push; the client keeps one, so a push allocates no callbacks. */
export interface PushSink {
  /** A decoded CHAT push. */
  chat(chat: Chat): void;
  /** An ERROR push ({@link ErrorReply}, id 0) or an {@link UnexpectedFrameError}. */
  error(err: ClientError): void;
}

/**
 * Decodes one push and hands it to `sink`. A CHAT that does not decode, and a `sink.chat` that throws,
 * reach `sink.error` as an UnexpectedFrameError `bad CHAT push: …` (its `cause` the original error), so
 * a bad push never escapes into the channel's decode loop, where it would close the connection.
 */
export function dispatchPush(frame: Frame, sink: PushSink): void {
  switch (frame.type) {
    case MessageType.CHAT:
      // Only the CHAT branch can throw (its decode, or the listener): errorFrameToError never does.
      try {
        sink.chat(decodeChat(frame.payload));
      } catch (err) {
        sink.error(new UnexpectedFrameError(frame.type, 0, `bad CHAT push: ${(err as Error).message}`, { cause: err }));
      }
      return;
    case MessageType.ERROR:
      sink.error(errorFrameToError(frame));
      return;
    default:
      sink.error(new UnexpectedFrameError(frame.type, 0, `unexpected push of type ${messageTypeName(frame.type)} (0x${frame.type.toString(16)})`));
  }
}
