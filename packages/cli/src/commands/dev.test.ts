/**
 * `strongroom dev --s3-endpoint`: the S3 section it builds, and the inputs it refuses — credentials come
 * only from the environment (argv is readable by every user through `ps`), never inside the URL.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit';
import { externalS3 } from './dev';

const creds = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('externalS3', () => {
  it('is absent without --s3-endpoint, and --s3-bucket / --s3-region alone are usage errors', () => {
    expect(externalS3({}, creds)).toBeUndefined();
    expect(() => externalS3({ s3Bucket: 'b' }, creds)).toThrow(UsageError);
    expect(() => externalS3({ s3Region: 'eu-west-1' }, creds)).toThrow(UsageError);
  });

  it('builds the dev.json S3 section from the flags and the environment', () => {
    expect(externalS3({ s3Endpoint: 'https://s3.eu-west-1.amazonaws.com/', s3Bucket: 'mine' }, { ...creds, AWS_REGION: 'eu-west-1' })).toEqual({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      bucket: 'mine',
      ...{ accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY },
    });
    expect(externalS3({ s3Endpoint: 'http://127.0.0.1:9000' }, creds)).toMatchObject({ region: 'us-east-1', bucket: 'strongroom-dev' });
  });

  it('refuses credentials in the URL, a missing credential, and URLs that are not http(s)', () => {
    expect(() => externalS3({ s3Endpoint: 'https://AKIDEXAMPLE:wJalrXUtnFEMIK7MDENG@s3.example.com' }, creds)).toThrow(/no credentials in the URL/);
    // A secret with a '/' makes the URL unparseable: the error must not echo it.
    for (const s3Endpoint of [`https://AKIDEXAMPLE:${creds.AWS_SECRET_ACCESS_KEY}@s3.example.com`, 'https://AKIDEXAMPLE:wJalrXUtnFEMIK7MDENG@s3.example.com']) {
      let message = '';
      try {
        externalS3({ s3Endpoint }, creds);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^--s3-endpoint: /);
      expect(message).not.toContain('wJalrXUtnFEMI');
    }
    expect(() => externalS3({ s3Endpoint: 'https://s3.example.com' }, { AWS_ACCESS_KEY_ID: 'x' })).toThrow(/AWS_SECRET_ACCESS_KEY/);
    expect(() => externalS3({ s3Endpoint: 'file:///etc/passwd' }, creds)).toThrow(/http/);
    expect(() => externalS3({ s3Endpoint: 'not a url' }, creds)).toThrow(/not a URL/);
  });
});
