/**
 * The `--redis` URL: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` (the redis-cli / IANA `redis` URI
 * scheme, port 6379 by default). Parsed here rather than handed to ioredis, so that nothing in the URL
 * (ioredis reads query parameters as client options) can undo the bus's bounds.
 *
 * Redis pub/sub ignores the database number (a channel is the same in every database), so `DB` names
 * the channel instead: servers given the same URL chat together, servers given another DB do not.
 */
import { OptionTypeError } from '@sockbench/options';

/** Redis's default port. */
export const REDIS_DEFAULT_PORT = 6379;

/** The channel prefix; the DB number follows (`sockbench:chat:0`). */
export const BUS_CHANNEL_PREFIX = 'sockbench:chat:';

/** Where the chat bus lives, from a `--redis` URL. */
export interface RedisTarget {
  host: string;
  port: number;
  /** The DB number of the URL, 0 when it has none: it names the channel. */
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** The pub/sub channel every server of this bus uses: `sockbench:chat:<db>`. */
  channel: string;
  /** The URL without its password, for logs. */
  display: string;
}

const FORM = 'a URL redis://HOST[:PORT][/DB]';

/**
 * Parses and checks a `--redis` URL.
 * @throws OptionTypeError (`options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got "…": why`)
 *   for another scheme, no host, a port outside 1..65535, a path that is not a DB number, a query or
 *   a fragment
 */
export function parseRedisUrl(value: string): RedisTarget {
  const refuse = (why: string): never => {
    throw new OptionTypeError(`options.redis (--redis) must be ${FORM}, got ${JSON.stringify(value)}: ${why}`, 'redis', 'redis', value);
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('not a URL');
  }
  if (url.protocol !== 'redis:') refuse(`the scheme must be redis: (rediss:, TLS, is not supported), not ${url.protocol}`);
  // WHATWG URL keeps IPv6 literals bracketed; net.connect wants them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host.length === 0) refuse('no host');
  // URL refuses ports above 65535 itself (not a URL); port 0 is left.
  const port = url.port === '' ? REDIS_DEFAULT_PORT : Number(url.port);
  if (port === 0) refuse('port 0');
  if (url.search !== '' || url.hash !== '') refuse('a query or fragment is not allowed');
  let db = 0;
  if (url.pathname !== '' && url.pathname !== '/') {
    const m = /^\/(\d{1,9})$/.exec(url.pathname);
    if (m === null) refuse(`the path must be a DB number, got ${url.pathname}`);
    db = Number(m![1]);
  }
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const auth = username === undefined && password === undefined ? '' : `${url.username}${password === undefined ? '' : ':***'}@`;
  return { host, port, db, username, password, channel: `${BUS_CHANNEL_PREFIX}${db}`, display: `redis://${auth}${url.host}/${db}` };
}
