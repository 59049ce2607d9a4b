/**
 * Checks on hidden-state records before any detector sees them, free of Kafka: the sample
 * validator (hook name, dtype, shape, position, finiteness, duplicates), the dead-letter reasons,
 * and the input limits (record size, Avro length limits, series per task) that keep hostile input
 * from growing memory, state or metric labels without bound.
 */
package io.latentwatch.monitor.validate;
