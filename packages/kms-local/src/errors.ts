/**
 * KMS wire errors (AWS JSON 1.1 protocol): a JSON body `{"__type": "<Name>", "message": "…"}`
 * plus the `x-amzn-errortype` header, with the HTTP status KMS uses for that exception.
 * The SDK resolves the exception class from `x-amzn-errortype` / `__type`
 * (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html), and takes
 * `$fault` from the model; unmodeled errors (ThrottlingException, ValidationException, …) fall
 * back to the status: 4xx → client, 5xx → server.
 */

/** Exceptions answered with a status other than 400. */
const STATUS: Readonly<Record<string, number>> = {
  KMSInternalException: 500,
  DependencyTimeoutException: 503,
  AccessDeniedException: 400,
  UnknownOperationException: 400,
};

/** A KMS wire error: its exception name (`__type`), message and HTTP status. */
export class KmsError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status?: number) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status ?? STATUS[type] ?? 400;
  }
}

const make = (type: string) => (message: string) => new KmsError(type, message);

export const notFound = make('NotFoundException');
export const validation = make('ValidationException');
export const disabled = make('DisabledException');
export const invalidState = make('KMSInvalidStateException');
export const invalidCiphertext = make('InvalidCiphertextException');
export const incorrectKey = make('IncorrectKeyException');
export const invalidKeyUsage = make('InvalidKeyUsageException');
export const unsupported = make('UnsupportedOperationException');
export const alreadyExists = make('AlreadyExistsException');
export const invalidAliasName = make('InvalidAliasNameException');
export const invalidArn = make('InvalidArnException');
export const invalidMarker = make('InvalidMarkerException');
export const tagError = make('TagException');
export const internal = make('KMSInternalException');

// Custom key stores (docs/custom-key-stores.md). All are HTTP 400 client faults in @aws-sdk/client-kms's models.
export const customKeyStoreNotFound = make('CustomKeyStoreNotFoundException');
export const customKeyStoreNameInUse = make('CustomKeyStoreNameInUseException');
export const customKeyStoreInvalidState = make('CustomKeyStoreInvalidStateException');
export const customKeyStoreHasCmks = make('CustomKeyStoreHasCMKsException');
export const clusterNotFound = make('CloudHsmClusterNotFoundException');
export const clusterInUse = make('CloudHsmClusterInUseException');
export const clusterNotActive = make('CloudHsmClusterNotActiveException');
export const clusterInvalidConfiguration = make('CloudHsmClusterInvalidConfigurationException');
export const clusterNotRelated = make('CloudHsmClusterNotRelatedException');
export const incorrectTrustAnchor = make('IncorrectTrustAnchorException');
