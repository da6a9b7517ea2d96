/**
 * `@raft/transport-tcp`: TCP (and TLS) transport with handshakes, backpressure and reconnects.
 *
 * Not yet implemented (see the open issue that builds it).
 *
 * @packageDocumentation
 */
export {};
