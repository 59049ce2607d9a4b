/**
 * The monitor's Kafka Streams application: configuration ({@code MonitorConfig}), the topology and its processors
 * (validation, dead letters, SAE projection, detectors, explanations, the hash chain), metrics, the service that
 * runs it ({@code MonitorService}, built through {@code MonitorApp}'s builder) and the typed alert attribute
 * {@code TopLatents}.
 */
package io.latentwatch.monitor;
