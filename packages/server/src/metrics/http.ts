/**
 * The metrics HTTP listener: `GET /metrics` (Prometheus text, from a provider so the cluster primary
 * can serve aggregated metrics) and `GET /healthz` (`ok`). Anything else is 404.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ListenError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';

/** Renders the metrics text and its content type. */
export type MetricsProvider = () => Promise<{ contentType: string; body: string }>;

/** HTTP listener for /metrics and /healthz. */
export class MetricsHttp implements Lifecycle<AddressInfo> {
  readonly #host: string;
  readonly #port: number;
  readonly #http: HttpServer;
  #listening = false;

  constructor(host: string, port: number, logger: Logger, provider: MetricsProvider) {
    this.#host = host;
    this.#port = port;
    this.#http = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/metrics') {
        provider().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          (err: unknown) => {
            logger.error({ err: err instanceof Error ? err.message : String(err) }, 'metrics failed');
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end('metrics unavailable\n');
          },
        );
      } else if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', (err) => reject(new ListenError('metrics HTTP', `${this.#host}:${this.#port}`, err)));
      this.#http.listen({ host: this.#host, port: this.#port }, () => {
        this.#listening = true;
        resolve(this.#http.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }
}
