/**
 * `@raft/telemetry-noop`: No-op and capturing event and metric sinks.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
