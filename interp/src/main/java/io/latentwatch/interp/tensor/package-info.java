/**
 * Plain Java tensors (row-major float arrays with a shape) and readers/writers for .npy and safetensors files.
 * The activation dtypes and the F16/BF16 codecs they use are the wire's, in {@code io.latentwatch.common.dtype}
 * (module {@code common}), so the publisher encodes samples without depending on the model runtime.
 */
package io.latentwatch.interp.tensor;
