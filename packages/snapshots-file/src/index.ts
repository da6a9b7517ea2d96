/**
 * `@raft/snapshots-file`: Durable snapshot store on the file system with checksums and atomic commit.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
