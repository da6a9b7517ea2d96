/**
 * Every stable error code a `@raft/*` package can throw or reject with. Guards compare
 * `code`, never `instanceof`, so two copies of this package still agree.
 * Each code is documented in `docs/reference/errors.md`; a test keeps the two in step.
 */
export type RaftErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_CONFIGURATION'
  | 'ILLEGAL_STATE'
  | 'NODE_NOT_STARTED'
  | 'NODE_STOPPED'
  | 'MAILBOX_FULL'
  | 'COMMAND_TOO_LARGE'
  | 'STORAGE_CORRUPTED'
  | 'STORAGE_IO_FAILED'
  | 'STORAGE_LOCKED'
  | 'STORAGE_CLOSED'
  | 'SNAPSHOT_CORRUPTED'
  | 'CODEC_MALFORMED'
  | 'CODEC_FRAME_TOO_LARGE'
  | 'CODEC_UNSUPPORTED_VERSION'
  | 'TRANSPORT_HANDSHAKE_FAILED'
  | 'TRANSPORT_LISTEN_FAILED'
  | 'TRANSPORT_CLOSED';

/** All codes of {@link RaftErrorCode}, for documentation checks and exhaustive tests. */
export const RAFT_ERROR_CODES: readonly RaftErrorCode[] = [
  'INVALID_ARGUMENT',
  'INVALID_CONFIGURATION',
  'ILLEGAL_STATE',
  'NODE_NOT_STARTED',
  'NODE_STOPPED',
  'MAILBOX_FULL',
  'COMMAND_TOO_LARGE',
  'STORAGE_CORRUPTED',
  'STORAGE_IO_FAILED',
  'STORAGE_LOCKED',
  'STORAGE_CLOSED',
  'SNAPSHOT_CORRUPTED',
  'CODEC_MALFORMED',
  'CODEC_FRAME_TOO_LARGE',
  'CODEC_UNSUPPORTED_VERSION',
  'TRANSPORT_HANDSHAKE_FAILED',
  'TRANSPORT_LISTEN_FAILED',
  'TRANSPORT_CLOSED',
];

/** Options accepted by every {@link RaftError} constructor. */
export interface RaftErrorOptions {
  /** The underlying error, kept as the ES2022 `cause`. */
  readonly cause?: unknown;
}

/**
 * Base class of every error thrown by `@raft/*`. It carries a stable {@link RaftErrorCode}
 * and says whether retrying the same call later can succeed.
 */
export class RaftError extends Error {
  /** Stable, documented code; compare this rather than the class. */
  readonly code: RaftErrorCode;
  /** `true` when the same call may succeed if retried later (for example a full mailbox). */
  readonly retryable: boolean;

  constructor(code: RaftErrorCode, message: string, retryable = false, options: RaftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RaftError';
    this.code = code;
    this.retryable = retryable;
  }
}

/** Thrown when an argument passed to a `@raft/*` API is invalid. Code `INVALID_ARGUMENT`. */
export class InvalidArgumentError extends RaftError {
  constructor(message: string, options: RaftErrorOptions = {}) {
    super('INVALID_ARGUMENT', message, false, options);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * Thrown when a configuration option is invalid. Code `INVALID_CONFIGURATION`;
 * {@link ConfigurationError.option} names the offending option.
 */
export class ConfigurationError extends RaftError {
  /** The option that is wrong, as the user spelled it (for example `"heartbeatTicks"`). */
  readonly option: string;
  constructor(option: string, message: string, options: RaftErrorOptions = {}) {
    super('INVALID_CONFIGURATION', `invalid option "${option}": ${message}`, false, options);
    this.name = 'ConfigurationError';
    this.option = option;
  }
}

/**
 * Thrown when embedding code breaks a contract (for example reporting persistence of an
 * index that was never written, or an illegal role transition). Code `ILLEGAL_STATE`.
 */
export class IllegalStateError extends RaftError {
  constructor(message: string, options: RaftErrorOptions = {}) {
    super('ILLEGAL_STATE', message, false, options);
    this.name = 'IllegalStateError';
  }
}

/** Thrown or rejected when a node is used before `start()` or after `stop()`. */
export class LifecycleError extends RaftError {
  constructor(code: 'NODE_NOT_STARTED' | 'NODE_STOPPED', message: string, options: RaftErrorOptions = {}) {
    super(code, message, false, options);
    this.name = 'LifecycleError';
  }
}

/** Rejected when a node's bounded mailbox is full. Retryable. Code `MAILBOX_FULL`. */
export class MailboxFullError extends RaftError {
  constructor(capacity: number, options: RaftErrorOptions = {}) {
    super('MAILBOX_FULL', `mailbox is full (capacity ${capacity})`, true, options);
    this.name = 'MailboxFullError';
  }
}

/** Rejected when a command exceeds the configured maximum size. Code `COMMAND_TOO_LARGE`. */
export class CommandTooLargeError extends RaftError {
  constructor(size: number, limit: number, options: RaftErrorOptions = {}) {
    super('COMMAND_TOO_LARGE', `command of ${size} bytes exceeds the limit of ${limit} bytes`, false, options);
    this.name = 'CommandTooLargeError';
  }
}

/**
 * Thrown by storage implementations. Codes: `STORAGE_CORRUPTED` (the data on disk fails
 * verification; names the file and offset), `STORAGE_IO_FAILED` (a read, write or fsync
 * failed; after a failed fsync the store refuses all further writes), `STORAGE_LOCKED`
 * (another process holds the directory), `STORAGE_CLOSED`, `SNAPSHOT_CORRUPTED`.
 */
export class StorageError extends RaftError {
  constructor(
    code: 'STORAGE_CORRUPTED' | 'STORAGE_IO_FAILED' | 'STORAGE_LOCKED' | 'STORAGE_CLOSED' | 'SNAPSHOT_CORRUPTED',
    message: string,
    options: RaftErrorOptions = {},
  ) {
    super(code, message, false, options);
    this.name = 'StorageError';
  }
}

/** Thrown when bytes cannot be decoded into a protocol message. Codes `CODEC_*`. */
export class CodecError extends RaftError {
  constructor(
    code: 'CODEC_MALFORMED' | 'CODEC_FRAME_TOO_LARGE' | 'CODEC_UNSUPPORTED_VERSION',
    message: string,
    options: RaftErrorOptions = {},
  ) {
    super(code, message, false, options);
    this.name = 'CodecError';
  }
}

/**
 * Raised by transports. Codes `TRANSPORT_HANDSHAKE_FAILED`, `TRANSPORT_LISTEN_FAILED` (the
 * listening socket could not be opened, for example the port is taken), `TRANSPORT_CLOSED`.
 */
export class TransportError extends RaftError {
  constructor(
    code: 'TRANSPORT_HANDSHAKE_FAILED' | 'TRANSPORT_LISTEN_FAILED' | 'TRANSPORT_CLOSED',
    message: string,
    options: RaftErrorOptions = {},
  ) {
    super(code, message, false, options);
    this.name = 'TransportError';
  }
}

/**
 * `true` when `error` is a `@raft/*` error (optionally with the given code). Checks the
 * `code` property, so it works across duplicated package copies.
 */
export function isRaftError(error: unknown, code?: RaftErrorCode): error is RaftError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = (error as { code?: unknown }).code;
  if (typeof candidate !== 'string' || !(RAFT_ERROR_CODES as readonly string[]).includes(candidate)) return false;
  return code === undefined || candidate === code;
}
