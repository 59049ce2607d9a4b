/**
 * An in-process Kafka broker (KRaft, {@code EmbeddedKafka}) for the demo, {@code latentwatch kafka} and the
 * integration tests, with its persistent log directory.
 */
package io.latentwatch.embedded;
