/**
 * The controller ↔ agent protocol over Redis (README, "Generators on several machines"): key and
 * channel names, the JSON messages (every one carries `v`, {@link AGENT_PROTOCOL_VERSION}), and
 * a checking decoder. Small on purpose: pub/sub for messages, keys with a TTL for liveness and for
 * reports (a report can be large; pub/sub would push it through every subscriber's output buffer).
 */
import type { LoadPlan } from '../options.js';
import type { Counters } from '../counters.js';
import type { IntervalReport, Report } from '../report/schema.js';

/** Version of the messages below; a message of another version is refused (not guessed at). */
export const AGENT_PROTOCOL_VERSION = 1;

/** Every key and channel starts with this. */
export const PREFIX = 'sockbench:loadgen:';

/** How long a heartbeat key lives without a refresh, ms; refreshed every {@link HEARTBEAT_EVERY_MS}. */
export const HEARTBEAT_TTL_MS = 2000;
/** How often agents and controllers refresh their heartbeat keys, ms. */
export const HEARTBEAT_EVERY_MS = 500;
/** How long a report key lives, s (the controller reads it at once; the TTL only cleans up). */
export const REPORT_TTL_S = 600;

/** Key names. */
export const keys = {
  /** An agent's heartbeat: {@link AgentBeat} JSON, PX {@link HEARTBEAT_TTL_MS}. */
  agent: (name: string): string => `${PREFIX}agent:${name}`,
  /** A controller's claim on an agent for one plan (SET NX PX), so two controllers never share one. */
  claim: (name: string): string => `${PREFIX}agent:${name}:claim`,
  /** A controller's heartbeat for plan `id` ("1", PX {@link HEARTBEAT_TTL_MS}): gone means the agents stop. */
  alive: (id: string): string => `${PREFIX}plan:${id}:alive`,
  /** An agent's {@link AgentReport} for plan `id`, EX {@link REPORT_TTL_S}. */
  report: (id: string, name: string): string => `${PREFIX}plan:${id}:report:${name}`,
  /** SCAN pattern of every agent heartbeat. */
  agentPattern: `${PREFIX}agent:*`,
};

/** Channel names. */
export const channels = {
  /** Controller → one agent: {@link PlanMessage} | {@link StopMessage}. */
  toAgent: (name: string): string => `${PREFIX}to:${name}`,
  /** Agents → the controller of plan `id`: {@link FromAgent}. */
  fromAgents: (id: string): string => `${PREFIX}from:${id}`,
};

/** An agent's heartbeat value. */
export interface AgentBeat {
  v: 1;
  name: string;
  host: string;
  pid: number;
  /** The plan it runs, or null while it waits. */
  plan: string | null;
}

/** One agent's share of a plan. `startAt`: the common start, epoch ms on Redis's clock (TIME). */
export interface PlanMessage {
  v: 1;
  kind: 'plan';
  id: string;
  /** This agent's place among `of` agents (0-based). */
  index: number;
  of: number;
  startAt: number;
  plan: LoadPlan;
  token: string | null;
  stats: { host: string; port: number } | null;
}

/** Ends plan `id` early (Ctrl-C on the controller): the agent drains and still reports. */
export interface StopMessage {
  v: 1;
  kind: 'stop';
  id: string;
}

/** What an agent says on {@link channels.fromAgents}. */
export type FromAgent =
  | { v: 1; kind: 'accepted'; id: string; agent: string; offsetMs: number; rttMs: number }
  | { v: 1; kind: 'interval'; id: string; agent: string; interval: IntervalReport }
  | { v: 1; kind: 'failed'; id: string; agent: string; code: string | null; message: string }
  | { v: 1; kind: 'report'; id: string; agent: string; key: string };

/** The value of {@link keys.report}: an agent's whole report and its clock. */
export interface AgentReport {
  v: 1;
  id: string;
  agent: string;
  host: string;
  /** Redis's clock minus the agent's, ms (positive: the agent is behind). */
  offsetMs: number;
  /** Round trip of the TIME exchange the offset came from, ms. */
  rttMs: number;
  report: Report;
}

/** One agent's line in the merged report (`RunReport.agents`). */
export interface AgentRun {
  name: string;
  host: string;
  offsetMs: number;
  rttMs: number;
  /** Start of measuring on Redis's clock (the agent's `startedAt` + its offset), ISO 8601. */
  startedAt: string;
  connections: number;
  rate: number | null;
  durationMs: number;
  counters: Counters;
  requestsPerSec: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses one message; null for anything that is not JSON, not version 1, or lacks `kind`/`id`
 * (a peer of another version is ignored rather than misread).
 */
export function decodeMessage<T extends { kind: string }>(text: string): T | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(v) || v.v !== AGENT_PROTOCOL_VERSION || typeof v.kind !== 'string' || typeof v.id !== 'string') return null;
  return v as unknown as T;
}

/** Parses a heartbeat value; null when it is not one. */
export function decodeBeat(text: string | null): AgentBeat | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v) && v.v === AGENT_PROTOCOL_VERSION && typeof v.name === 'string') return v as unknown as AgentBeat;
  } catch {
    // not ours
  }
  return null;
}
