/**
 * `@raft/storage-wal`: Durable write-ahead-log storage: CRC-framed segment files with group commit.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
