/** Types of serve.mjs (plain JavaScript, run by node directly). */
export interface PageServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
export function buildPage(): Promise<string>;
export function pageConfig(dev: unknown): unknown;
export function startPageServer(options: { devConfig: unknown; port?: number; host?: string }): Promise<PageServer>;
