/** Types for fault-proxy.mjs (used by the TypeScript reliability tests). */
import type { IncomingHttpHeaders } from 'node:http';

export type FaultName = 'reset' | 'reset-mid-response' | 'throttle' | '5xx' | 'delay' | 'hang';

export interface FaultProxyOptions {
  target: string;
  seed?: number;
  rates?: Partial<Record<Exclude<FaultName, 'hang'>, number>>;
  delayMs?: [number, number];
  rule?: (req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer; index: number }) => FaultName | 'pass' | undefined;
}

export interface FaultProxy {
  endpoint: string;
  counts: Record<FaultName | 'requests' | 'passed', number>;
  setRates(rates: FaultProxyOptions['rates']): void;
  close(): Promise<void>;
}

export function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy>;
