/**
 * Topic contracts on the wire: topic names ({@code Topics}) and settings, topics with their serdes ({@code Topic},
 * {@code TypedTopics}), the serde factory for the Confluent wire format ({@code LatentwatchSerdes}) over a schema
 * registry or the embedded one, and Avro JSON helpers.
 */
package io.latentwatch.serde;
