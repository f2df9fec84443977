/**
 * The option tables of the commands besides the plan's: `compare`, `sweep`, `merge`, the
 * distribution flags of `run` / `compare` (`--agents`), and `agent`. Each feeds its command's
 * `--help`, validation and the README check.
 */
import { OptionTable } from '@sockbench/options';

/** What `compare` compares: request/response runs (the default) or one-way streams (`stream`'s test). */
export const COMPARE_MODES = ['requests', 'stream'] as const;

/** The flags of `compare` besides the plan's. */
export const COMPARE_OPTIONS = new OptionTable(
  [
    { key: 'transports', flag: 'transports', type: 'string', default: 'tcp,udp', description: 'comma-separated transports to run in turn (same --port for all)' },
    { key: 'mode', flag: 'mode', type: 'string', default: 'requests', choices: COMPARE_MODES, description: 'requests (request/response runs) | stream (one-way throughput, loss and jitter: the stream flags apply)' },
  ],
  'flag',
);

/** Default SLOs of every sweep step: a step holds while loss stays under 1 % and (open loop) 95 % of the offered rate completes. */
export const DEFAULT_SWEEP_SLOS = ['loss<1%', 'rate>=95%'] as const;

/**
 * The flags of `sweep` besides the plan's (which it shares except --transport, --duration and
 * --requests; --rate, --pipeline, --connections and --size where the dimension leaves them free)
 * and `--slo`, `--json`, `--html`, `--quiet`.
 */
export const SWEEP_OPTIONS = new OptionTable(
  [
    { key: 'transports', flag: 'transports', type: 'string', default: 'tcp,udp', description: 'comma-separated transports to sweep in turn, each to its knee (same --port for all)' },
    { key: 'from', flag: 'from', type: 'number', unit: 'req/s', default: 1000, min: 1, max: 10_000_000, description: 'open-loop rate of the first step' },
    { key: 'factor', flag: 'factor', type: 'number', default: 1.5, min: 1.01, max: 100, description: 'multiplier from one step to the next while steps hold (the rate, or a START..LIMIT range of the list flags)' },
    { key: 'to', flag: 'to', type: 'number', unit: 'req/s', min: 1, max: 10_000_000, description: 'highest rate to try (default: no cap but --max-steps)' },
    { key: 'connectionsList', flag: 'connections-list', type: 'string', expect: 'a list such as 1,4,16,64 or a range 1..64', description: 'closed loop: sweep --connections instead of the rate, through these steps (or START..LIMIT ×--factor); --pipeline stays as given' },
    { key: 'pipelineList', flag: 'pipeline-list', type: 'string', expect: 'a list such as 1,4,16,64 or a range 1..64', description: 'closed loop: sweep --pipeline (requests in flight per connection) instead of the rate, through these steps (or START..LIMIT ×--factor)' },
    { key: 'sizes', flag: 'sizes', type: 'string', unit: 'bytes', expect: 'a list such as 64,512,1400,8192 or a range 64..8192', description: 'sweep --size instead of the rate, through these steps (or START..LIMIT ×--factor): open loop at --rate if given, else closed loop (--pipeline)' },
    { key: 'minScaling', flag: 'min-scaling', type: 'string', default: '50%', expect: 'a percentage such as 50%', description: 'closed loop, --connections-list and --pipeline-list: a step holds only while its throughput grows by at least this share of its growth in concurrency over the highest step that held (0% turns it off)' },
    { key: 'stepDuration', flag: 'step-duration', type: 'duration', default: '3s', min: 1, max: 3_600_000, description: 'measured time of each step, e.g. 3s, 500ms (each step also runs --warmup first)' },
    { key: 'resolution', flag: 'resolution', type: 'string', default: '5%', expect: 'a percentage such as 5%', description: 'bisect between the last step that held and the first that failed until they are this close' },
    { key: 'maxSteps', flag: 'max-steps', type: 'integer', default: 20, min: 1, max: 1000, description: 'steps per transport at most (ramp and bisection together)' },
  ],
  'flag',
);

/** The flag of `merge` besides `--html` and `--hdr-log`. */
export const MERGE_OPTIONS = new OptionTable(
  [{ key: 'output', flag: 'output', alias: 'o', type: 'string', unit: 'file', required: true, description: 'merged JSON report; "-" for stdout' }],
  'flag',
);

/**
 * The flags of `run` and `compare` that split the plan over agents (agents/controller.ts); without
 * `--agents` the run is local and `--redis` is refused.
 */
export const DISTRIBUTE_OPTIONS = new OptionTable(
  [
    { key: 'agents', flag: 'agents', type: 'integer', min: 1, max: 1000, description: 'split the plan over this many `sockbench-loadgen agent` machines (connections and --rate divided, --pipeline kept per connection), started together; needs --redis' },
    { key: 'redis', flag: 'redis', type: 'string', expect: 'a URL such as redis://HOST:6379', description: 'the Redis the agents wait on (redis://HOST:PORT[/DB]); with --agents' },
    { key: 'agentsWait', flag: 'agents-wait', type: 'duration', default: '10s', min: 1, max: 3_600_000, description: 'how long to wait for --agents idle agents, and for each to answer its share' },
  ],
  'flag',
);

/** The flags of `agent`. */
export const AGENT_OPTIONS = new OptionTable(
  [
    { key: 'redis', flag: 'redis', type: 'string', required: true, expect: 'a URL such as redis://HOST:6379', description: 'the Redis to wait for plans on (redis://HOST:PORT[/DB])' },
    { key: 'name', flag: 'name', type: 'string', defaultText: 'hostname-pid', expect: 'a name without spaces', description: "this agent's name, unique among the agents on that Redis (shown in the controller's report)" },
  ],
  'flag',
);
