package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Npy;
import io.latentwatch.interp.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code latentwatch sae encode}: latents (or reconstructions) of activations in a .npy file. */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = {"Encode activations with an SAE: --input is a .npy of rows of d_in (float32, float64 or float16),",
                "--out receives float32 rows of d_sae (latents) or, with --decode, rows of d_in (reconstructions).",
                "Compare them with SAELens or your own implementation: numpy.load reads both files."})
public final class SaeEncodeCommand implements Callable<Integer> {
    @Option(names = "--sae", required = true, description = "SAE directory (SAELens, Gemma Scope, Llama Scope or sparsify)")
    Path sae;

    @Option(names = "--input", required = true, description = ".npy of activations, shape [rows, d_in] (or [d_in])")
    Path input;

    @Option(names = "--out", required = true, description = ".npy to write (float32)")
    Path out;

    @Option(names = "--decode", description = "Write reconstructions [rows, d_in] instead of latents [rows, d_sae]")
    boolean decode;

    @Mixin
    SaeLoadMixin load = new SaeLoadMixin();

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Tensor x = Npy.read(input);
        try (SparseAutoencoder s = SaeLoadMixin.userError(() -> SaeFiles.load(sae, load.options()))) {
            int dIn = s.config().dIn();
            if (x.dim(-1) != dIn) {
                throw new IllegalArgumentException("--input " + input + " has rows of " + x.dim(-1) + " values but the SAE reads d_in = " + dIn
                        + " (hook " + s.config().hookName() + ")");
            }
            Tensor y = decode ? s.reconstruct(x) : s.encode(x);
            Npy.write(out, y);
            System.out.printf("%d rows -> %s %s%n", y.dim(0), out, Arrays.toString(y.shape()));
        }
        return 0;
    }
}
