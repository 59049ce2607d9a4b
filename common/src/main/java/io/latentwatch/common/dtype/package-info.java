/**
 * The activation dtypes samples carry on the wire ({@link io.latentwatch.common.dtype.DType}: F32, F16, BF16) and
 * their little-endian codecs ({@link io.latentwatch.common.dtype.Float16} for single values, IEEE 754 binary16
 * and bfloat16 with round-to-nearest-even; {@link io.latentwatch.common.dtype.Float16Codec} for whole vectors).
 * Shared by the publisher, the node, the monitor and the model runtime, so none of them depends on another for
 * the wire format.
 */
package io.latentwatch.common.dtype;
