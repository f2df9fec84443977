/**
 * The control side of stream sessions (docs/protocol.md, "Stream"): STREAM_OPEN, STREAM_VALIDATE,
 * STREAM_START and STREAM_REPORT over one {@link Client} TCP connection, which owns the sessions it
 * opens (closing it ends them on the server).
 */
import {
  ErrorCode,
  MessageType,
  decodeStreamOpened,
  decodeStreamReport,
  decodeStreamStart,
  decodeStreamValidated,
  encodeStreamOpen,
  encodeStreamReportRequest,
  encodeStreamStart,
  encodeStreamValidate,
  STREAM_STRAGGLER_MAX_MS,
  type StreamOpen,
  type StreamOpened,
  type StreamReport,
} from '@sockbench/protocol';
import type { Client } from '../client.js';
import { ErrorReply, StreamError, StreamUnsupportedError } from '../errors.js';

/** Time a control request may take beyond the server's straggler wait, ms. */
const CONTROL_SLACK_MS = 5000;

/** The control requests of stream sessions on one control connection. */
export class StreamControl {
  readonly #client: Client;

  /** @param client an open TCP {@link Client} (authenticated when the server has a token) */
  constructor(client: Client) {
    this.#client = client;
  }

  /** The control connection. */
  get client(): Client {
    return this.#client;
  }

  /**
   * STREAM_OPEN.
   * @returns the session as the server granted it
   * @throws (rejects) StreamUnsupportedError when the server predates streams (UNKNOWN_TYPE);
   *   ErrorReply for a refusal (BAD_PAYLOAD with the reason, BUSY at `--max-streams`)
   */
  async open(request: StreamOpen): Promise<StreamOpened> {
    try {
      const reply = await this.#client.request(MessageType.STREAM_OPEN, encodeStreamOpen(request));
      return decodeStreamOpened(reply.payload, reply.id);
    } catch (err) {
      if (err instanceof ErrorReply && err.errorCode === ErrorCode.UNKNOWN_TYPE) throw new StreamUnsupportedError(this.#client.address, err.message);
      throw err;
    }
  }

  /** STREAM_VALIDATE: returns the challenge of a STREAM_BIND reply; resolves with the validated address (`ip:port`). */
  async validate(session: number, challenge: Buffer): Promise<string> {
    const reply = await this.#client.request(MessageType.STREAM_VALIDATE, encodeStreamValidate({ session, challenge: challenge.toString('hex') }));
    return decodeStreamValidated(reply.payload, reply.id).address;
  }

  /** STREAM_START: the sender may send from the reply (down: the server starts sending). */
  async start(session: number): Promise<void> {
    const reply = await this.#client.request(MessageType.STREAM_START, encodeStreamStart({ session }));
    const got = decodeStreamStart(reply.payload, reply.id).session;
    if (got !== session) throw new StreamError(`STREAM_START for session ${session} was answered for session ${got}`);
  }

  /**
   * STREAM_REPORT: the server's side of the session (receiver for up, sender for down); the session
   * then ends. Waits for the server's own straggler wait (up to 2 s) plus slack.
   * @param sent up: the messages the client sent
   */
  async report(session: number, sent?: number): Promise<StreamReport> {
    const reply = await this.#client.request(
      MessageType.STREAM_REPORT,
      encodeStreamReportRequest(sent === undefined ? { session } : { session, sent }),
      STREAM_STRAGGLER_MAX_MS + CONTROL_SLACK_MS,
    );
    return decodeStreamReport(reply.payload, reply.id);
  }
}
