/**
 * What every latentwatch service shares and nothing more: Kafka client configuration with
 * environment overrides ({@link io.latentwatch.common.KafkaConfig}) and the SAE artifact store with
 * its SHA-256 verification ({@link io.latentwatch.common.ArtifactStore}). No Kafka, no math.
 */
package io.latentwatch.common;
