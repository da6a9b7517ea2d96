/**
 * `@raft/telemetry-otel`: OpenTelemetry metric/event sinks and a pino structured-log sink.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
