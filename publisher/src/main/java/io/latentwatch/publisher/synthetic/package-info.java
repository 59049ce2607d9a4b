/**
 * Synthetic hidden states shaped like a small transformer's (fixed directions, noise, massive-activation
 * dimensions), for tests and benchmarks that need traffic without a model.
 */
package io.latentwatch.publisher.synthetic;
