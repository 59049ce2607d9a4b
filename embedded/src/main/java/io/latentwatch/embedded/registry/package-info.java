/**
 * The schema registry as a service: the real Apicurio Registry server (its runner jar) started as
 * a child JVM with KafkaSQL storage on a Kafka cluster, so that schemas and their ids survive
 * restarts of the registry and of the broker. Used by {@code latentwatch registry} and the local
 * stack.
 */
package io.latentwatch.embedded.registry;
