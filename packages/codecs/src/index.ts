/**
 * `@raft/codecs`: Versioned binary wire format for Raft messages, built on msgpackr.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
