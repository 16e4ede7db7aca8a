/**
 * Which `Host` header values name this server (RFC 9110 §7.2: `uri-host [ ":" port ]`, the port
 * omitted when it is the scheme's default). A SigV4 signature covers `host`, so checking it binds
 * the signature to this server: a request signed for another endpoint is refused.
 *
 * A loopback listener answers to `127.0.0.1`, `localhost` and `[::1]`; a wildcard listener
 * (`0.0.0.0`, `::`) cannot know its names, so it checks the port only unless names are given;
 * any other listener answers to its own address. `extraNames` adds names (e.g. behind a proxy).
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

export interface OwnHost {
  readonly isOwnHost: (host: string) => boolean;
  readonly describeHosts: () => string;
}

function bracket(name: string): string {
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name.toLowerCase();
}

/** Split `name[:port]` (IPv6 in brackets) into name and port (undefined when absent). */
function splitHost(host: string): { name: string; port: number | undefined } {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host);
  if (!m) return { name: '', port: Number.NaN };
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
}

export function ownHost(listenHost: string, port: number, scheme: 'http' | 'https', extraNames: readonly string[] = []): OwnHost {
  const defaultPort = scheme === 'https' ? 443 : 80;
  const wildcard = WILDCARD.has(listenHost) && extraNames.length === 0;
  const names = new Set<string>(extraNames.map(bracket));
  if (LOOPBACK.has(listenHost)) for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  else if (!WILDCARD.has(listenHost)) names.add(bracket(listenHost));
  return {
    isOwnHost(host) {
      const { name, port: given } = splitHost(host);
      if (name === '' || (given ?? defaultPort) !== port) return false;
      return wildcard || names.has(name);
    },
    describeHosts: () => (wildcard ? `any name on port ${port}` : [...names].map((n) => `${n}:${port}`).join(', ')),
  };
}
