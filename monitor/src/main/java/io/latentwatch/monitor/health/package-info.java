/**
 * What the monitor tells its supervisor and Prometheus about itself: liveness and readiness from the
 * Kafka Streams state ({@link io.latentwatch.monitor.health.StreamsHealth}), the {@code /health/*}
 * endpoints beside {@code /metrics} ({@link io.latentwatch.monitor.health.HealthHandler}), and the
 * Kafka client metrics bridged into the Prometheus registry
 * ({@link io.latentwatch.monitor.health.KafkaClientMetrics}).
 */
package io.latentwatch.monitor.health;
