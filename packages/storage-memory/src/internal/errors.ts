import { InvalidArgumentError, StorageError } from '@raft/abstractions';

/** The error every call on a closed store rejects (or throws) with. */
export function closedError(what: string): StorageError {
  return new StorageError('STORAGE_CLOSED', `${what} is closed`);
}

/** Checks that `value` is a non-negative safe integer, naming the argument otherwise. */
export function checkIndex(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}
