/**
 * Plain Java tensors (row-major float arrays with a shape), the F16/BF16 codecs used on the wire, and
 * readers/writers for .npy and safetensors files.
 */
package io.latentwatch.interp.tensor;
