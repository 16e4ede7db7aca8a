# Interop peer: the Ruby Amazon S3 Encryption Client V2 (Debian ruby-aws-sdk-s3), driven by the
# Strongroom test suite. Reads a JSON job from stdin:
#   { "endpoint": "http://127.0.0.1:port", "bucket": "...", "kms_endpoint": "...", "kms_key_id": "...",
#     "access_key": "..." (optional), "secret_key": "...",
#     "ops": [ { "op": "put"|"get", "key": "...", "file": "...", "wrap": "aes"|"rsa"|"kms"|"aes-v1"|"rsa-v1",
#                "location": "metadata"|"instruction_file", "aes_key_hex": "...", "rsa_pem_file": "...",
#                "context": { ... } } ] }
# and prints one JSON line per op: { "key": ..., "ok": true } or { "key": ..., "ok": false, "error": "..." }.
# "aes-v1"/"rsa-v1" use the V1 client (Aws::S3::Encryption::Client): AES/ECB- or RSA-PKCS#1-wrapped
# data key, AES/CBC content.
require 'json'
require 'openssl'
require 'aws-sdk-s3'

# s3rver serves suffix ranges wrongly (bytes=-16 returns 17 bytes from offset 0), which breaks the
# Ruby client's tag fetch. Rewrite bytes=-N to an explicit range after a HEAD, before signing.
class SuffixRangeFix < Seahorse::Client::Handler
  def call(context)
    range = context.http_request.headers['range']
    if range && (m = /\Abytes=-(\d+)\z/.match(range))
      head = context.client.head_object(bucket: context.params[:bucket], key: context.params[:key])
      len = head.content_length
      start = [len - m[1].to_i, 0].max
      context.http_request.headers['range'] = "bytes=#{start}-#{len - 1}"
    end
    @handler.call(context)
  end
end

job = JSON.parse($stdin.read)
s3 = Aws::S3::Client.new(
  endpoint: job['endpoint'], region: 'us-east-1', force_path_style: true,
  credentials: Aws::Credentials.new(job['access_key'] || 'S3RVER', job['secret_key'] || 'S3RVER')
)
s3.handlers.add(SuffixRangeFix, step: :sign, priority: 99)

kms = nil
if job['kms_endpoint']
  require 'aws-sdk-kms'
  # Debian's aws-sdk-kms 1.24 lacks KeyId on Decrypt: skip client-side param validation.
  kms = Aws::KMS::Client.new(
    endpoint: job['kms_endpoint'], region: 'us-east-1', validate_params: false,
    credentials: Aws::Credentials.new(job['kms_access_key'] || 'AKIDLOCAL', job['kms_secret_key'] || 'local-secret')
  )
end

def enc_client(s3, kms, job, op)
  location = (op['location'] || 'metadata').to_sym
  common = { client: s3, content_encryption_schema: :aes_gcm_no_padding, security_profile: :v2, envelope_location: location }
  case op['wrap']
  when 'aes'
    Aws::S3::EncryptionV2::Client.new(**common, encryption_key: [op['aes_key_hex']].pack('H*'), key_wrap_schema: :aes_gcm)
  when 'rsa'
    Aws::S3::EncryptionV2::Client.new(**common, encryption_key: OpenSSL::PKey::RSA.new(File.read(op['rsa_pem_file'])), key_wrap_schema: :rsa_oaep_sha1)
  when 'aes-v1'
    Aws::S3::Encryption::Client.new(client: s3, encryption_key: [op['aes_key_hex']].pack('H*'), envelope_location: location)
  when 'rsa-v1'
    Aws::S3::Encryption::Client.new(client: s3, encryption_key: OpenSSL::PKey::RSA.new(File.read(op['rsa_pem_file'])), envelope_location: location)
  when 'kms'
    Aws::S3::EncryptionV2::Client.new(**common, kms_key_id: job['kms_key_id'], kms_client: kms, key_wrap_schema: :kms_context)
  else
    raise "unknown wrap #{op['wrap']}"
  end
end

job['ops'].each do |op|
  begin
    client = enc_client(s3, kms, job, op)
    extra = op['wrap'] == 'kms' ? { kms_encryption_context: op['context'] || {} } : {}
    case op['op']
    when 'put'
      client.put_object(bucket: job['bucket'], key: op['key'], body: File.binread(op['file']), **extra)
    when 'get'
      resp = client.get_object(bucket: job['bucket'], key: op['key'], **extra)
      File.binwrite(op['file'], resp.body.read)
    else
      raise "unknown op #{op['op']}"
    end
    puts JSON.generate({ key: op['key'], ok: true })
  rescue StandardError => e
    puts JSON.generate({ key: op['key'], ok: false, error: "#{e.class}: #{e.message}"[0, 500] })
  end
end
