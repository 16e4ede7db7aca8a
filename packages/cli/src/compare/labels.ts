/** Short labels shared by the text and HTML renderings of a comparison. */
import type { CellResult } from './workload';

export function formatBytes(n: number): string {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576}MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}KiB`;
  return `${n}B`;
}

export function cellLabel(r: Pick<CellResult, 'payloadBytes' | 'concurrency' | 'cache'>): string {
  return `${formatBytes(r.payloadBytes)} c${r.concurrency}${r.cache ? ' cache' : ''}`;
}

export const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
