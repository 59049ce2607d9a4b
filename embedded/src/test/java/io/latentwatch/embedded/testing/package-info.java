/**
 * Integration-test base shared through the test-jar: a Kafka backend (embedded broker or Testcontainers) and
 * {@code AbstractKafkaIT}.
 */
package io.latentwatch.embedded.testing;
