/**
 * A minimal X.509 v3 certificate issuer (RFC 5280 §4.1) for the cluster CA, node and client
 * certificates. Node has no certificate *generation* API, and shelling out to `openssl` would make the
 * binary a runtime dependency; this DER builder covers exactly what mutual TLS needs: ECDSA P-256 keys,
 * ecdsa-with-SHA256 signatures (RFC 5758 §3.2), basicConstraints, keyUsage, extKeyUsage,
 * subjectAltName (DNS + IP), and subject/authority key identifiers.
 */
import { isIP } from 'node:net';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

/* ------------------------------------------------------------- DER helpers */

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8String = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const stack: number[] = [arc & 0x7f];
    let a = Math.floor(arc / 128);
    while (a > 0) {
      stack.unshift((a & 0x7f) | 0x80);
      a = Math.floor(a / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

function name(cn: string, org: string): Buffer {
  return seq(set(seq(oid('2.5.4.10'), utf8String(org))), set(seq(oid('2.5.4.3'), utf8String(cn))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function keyId(spki: Buffer): Buffer {
  // RFC 5280 §4.2.1.2 method 1 would hash only the BIT STRING; any stable digest is allowed.
  return createHash('sha1').update(spki).digest();
}

/* ------------------------------------------------------------- issuing */

export type CertRole = 'ca' | 'server' | 'client' | 'server+client';

export interface IssueCertInput {
  commonName: string;
  organization?: string;
  role: CertRole;
  /** The subject's public key. */
  publicKey: KeyObject;
  /** Issuer; omit for a self-signed CA. */
  issuer?: { certDer: Buffer; commonName: string; organization?: string; privateKey: KeyObject; spki: Buffer };
  /** Self-signed CA: the CA's own private key. */
  selfPrivateKey?: KeyObject;
  dnsNames?: string[];
  ipAddresses?: string[];
  validDays?: number;
  now?: Date;
}

function ipBytes(ip: string): Buffer {
  // RFC 5280 §4.2.1.6: an iPAddress is 4 octets (IPv4) or 16 octets (IPv6), network byte order.
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new RangeError(`ipAddresses: not an IPv4 or IPv6 address: ${ip}`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * Issue one certificate, returned as DER.
 * @throws RangeError on a bad IP address; TypeError when neither issuer nor selfPrivateKey is given.
 */
export function issueCertificate(input: IssueCertInput): Buffer {
  const now = input.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + (input.validDays ?? 3650) * 86_400_000);
  const org = input.organization ?? 'strongroom-hsm';
  const spki = input.publicKey.export({ type: 'spki', format: 'der' });
  const signerKey = input.issuer?.privateKey ?? input.selfPrivateKey;
  if (!signerKey) throw new TypeError('issueCertificate: issuer or selfPrivateKey is required');
  const issuerName = input.issuer ? name(input.issuer.commonName, input.issuer.organization ?? org) : name(input.commonName, org);
  const issuerSpki = input.issuer?.spki ?? spki;

  const exts: Buffer[] = [];
  if (input.role === 'ca') {
    exts.push(extension('2.5.29.19', true, seq(bool(true))));
    exts.push(extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1))); // keyCertSign, cRLSign
  } else {
    exts.push(extension('2.5.29.19', true, seq()));
    exts.push(extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7))); // digitalSignature
    const ekus: Buffer[] = [];
    if (input.role !== 'client') ekus.push(oid('1.3.6.1.5.5.7.3.1'));
    if (input.role !== 'server') ekus.push(oid('1.3.6.1.5.5.7.3.2'));
    exts.push(extension('2.5.29.37', false, seq(...ekus)));
    const names = [
      ...(input.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
      ...(input.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ];
    if (names.length > 0) exts.push(extension('2.5.29.17', false, seq(...names)));
  }
  exts.push(extension('2.5.29.14', false, octets(keyId(spki))));
  exts.push(extension('2.5.29.35', false, seq(tlv(0x80, keyId(issuerSpki)))));

  const sigAlg = seq(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    sigAlg,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    name(input.commonName, org),
    Buffer.from(spki),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, { key: signerKey, dsaEncoding: 'der' });
  return seq(tbs, sigAlg, bitString(signature));
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export interface IssuedIdentity {
  certPem: string;
  keyPem: string;
}

/** The cluster's certificate authority (the trust anchor): certificate, key and common name, PEM. */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  commonName: string;
  /** Issue a leaf certificate with a fresh ECDSA P-256 key. */
  issue(commonName: string, role: Exclude<CertRole, 'ca'>, options?: { dnsNames?: string[]; ipAddresses?: string[]; validDays?: number }): IssuedIdentity;
}

function freshKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Create a new self-signed cluster CA (the trust anchor). */
export function createCertificateAuthority(commonName: string, validDays = 3650): CertificateAuthority {
  const { publicKey, privateKey } = freshKey();
  const der = issueCertificate({ commonName, role: 'ca', publicKey, selfPrivateKey: privateKey, validDays });
  return loadCertificateAuthority(derToPem(der), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** Load an existing CA from PEM so that new node/client certificates can be issued (add-node). */
export function loadCertificateAuthority(certPem: string, keyPem: string): CertificateAuthority {
  const certDer = pemToDer(certPem);
  const privateKey = createPrivateKey(keyPem);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const cn = /CN=([^\n,]+)/.exec(new X509Certificate(certDer).subject)?.[1] ?? 'strongroom-hsm CA';
  return {
    certPem,
    keyPem,
    commonName: cn,
    issue(leafCn, role, options = {}) {
      const kp = freshKey();
      const der = issueCertificate({
        commonName: leafCn,
        role,
        publicKey: kp.publicKey,
        issuer: { certDer, commonName: cn, privateKey, spki },
        ...options,
      });
      return { certPem: derToPem(der), keyPem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
    },
  };
}
