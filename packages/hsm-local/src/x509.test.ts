import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './x509';

describe('x509 issuer', () => {
  const ca = createCertificateAuthority('test CA');
  const node = ca.issue('node:n1', 'server+client', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = ca.issue('client:c1', 'client');
  const otherCa = createCertificateAuthority('other CA');
  const stranger = otherCa.issue('client:evil', 'client');

  it('issues certificates that verify against the CA', () => {
    const caCert = new X509Certificate(ca.certPem);
    const leaf = new X509Certificate(node.certPem);
    expect(caCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(new X509Certificate(stranger.certPem).verify(caCert.publicKey)).toBe(false);
  });

  it('names IPv4 and IPv6 addresses and host names in subjectAltName (RFC 5280 §4.2.1.6)', () => {
    const c = ca.issue('node:n2', 'server+client', { dnsNames: ['hsm-a.internal'], ipAddresses: ['198.18.1.2', '2001:db8::7', '::ffff:198.18.0.1'] });
    const san = new X509Certificate(c.certPem).subjectAltName ?? '';
    expect(san).toContain('DNS:hsm-a.internal');
    expect(san).toContain('IP Address:198.18.1.2');
    expect(san).toContain('IP Address:2001:DB8:0:0:0:0:0:7');
    expect(san).toContain('IP Address:0:0:0:0:0:FFFF:C612:1');
    expect(() => ca.issue('node:n3', 'server', { ipAddresses: ['198.18.1'] })).toThrow(RangeError);
  });

  function handshake(clientId: { certPem: string; keyPem: string }) {
    return new Promise<string>((resolve, reject) => {
      const server = tls.createServer(
        { cert: node.certPem, key: node.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
        (s) => s.end(String(s.getPeerCertificate().subject.CN)),
      );
      server.listen(0, '127.0.0.1', () => {
        const port = (server.address() as { port: number }).port;
        const s = tls.connect({ host: '127.0.0.1', port, cert: clientId.certPem, key: clientId.keyPem, ca: ca.certPem, servername: 'localhost' });
        let got = '';
        s.on('data', (d) => (got += String(d)));
        s.on('end', () => { server.close(); resolve(got); });
        s.on('error', (e) => { server.close(); reject(e); });
      });
    });
  }

  it('completes a mutual TLS 1.3 handshake', async () => {
    expect(await handshake(client)).toBe('client:c1');
  });

  it('rejects a client certificate from another CA', async () => {
    // TLS 1.3: the server's rejection arrives after the client's handshake completes, as an alert
    // (error) or a closed stream; either way the server never answers.
    expect(await handshake(stranger).catch(() => '')).toBe('');
  });
});
