/**
 * Opening the {@link FrameChannel} a {@link Client} runs on, from its filled options: UDP as is, TCP with
 * the HELLO that `token` or `name` asks for.
 */
import type { Hello, Welcome } from '@sockbench/protocol';
import { HELLO_ID, type ChannelHandlers, type ChannelOptions, type FrameChannel } from './channel.js';
import type { FilledConnectOptions } from './options.js';
import { openTcpChannel } from './tcp-channel.js';
import { openUdpChannel } from './udp-channel.js';

/** An open channel and what opening it left behind. */
export interface OpenedChannel {
  channel: FrameChannel;
  /** The WELCOME (after a HELLO, its reply); undefined over UDP. */
  welcome: Welcome | undefined;
  /** The last request id the channel used itself: {@link HELLO_ID} after a HELLO, else 0. */
  lastUsedId: number;
}

/** The HELLO to send for `options`: one with `client` and/or `token` when either is set, else none. */
export function helloFor(options: Pick<FilledConnectOptions, 'name' | 'token'>): Hello | undefined {
  if (options.token === undefined && options.name === undefined) return undefined;
  return {
    ...(options.name !== undefined && { client: options.name }),
    ...(options.token !== undefined && { token: options.token }),
  };
}

/**
 * Opens the channel `options` describe and routes its frames and close to `handlers`.
 * @throws (rejects) as {@link openTcpChannel} / {@link openUdpChannel} do: ConnectError, ErrorReply
 *   (BUSY instead of WELCOME, UNAUTHORIZED after HELLO), RangeError
 */
export async function openClientChannel(options: FilledConnectOptions, handlers: ChannelHandlers): Promise<OpenedChannel> {
  const channelOptions: ChannelOptions = {
    host: options.host,
    port: options.port,
    maxPayload: options.maxPayload,
    connectTimeoutMs: options.connectTimeoutMs,
  };
  if (options.transport === 'udp') {
    return { channel: await openUdpChannel(channelOptions, handlers), welcome: undefined, lastUsedId: 0 };
  }
  const hello = helloFor(options);
  const channel = await openTcpChannel({ ...channelOptions, ...(hello && { hello }) }, handlers);
  return { channel, welcome: channel.welcome, lastUsedId: hello ? HELLO_ID : 0 };
}
