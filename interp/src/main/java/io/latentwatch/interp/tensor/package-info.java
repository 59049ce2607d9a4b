/**
 * Plain Java tensors (row-major float arrays with a shape) and readers/writers for .npy and safetensors files.
 * The activation dtypes and the F16/BF16 codecs used on the wire ({@code DType}, {@code Float16},
 * {@code Float16Codec}) are in this package too but ship in the {@code common} module, so the publisher encodes
 * samples without depending on the model runtime.
 */
package io.latentwatch.interp.tensor;
