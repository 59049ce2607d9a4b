package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeDescription;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeSource;
import io.latentwatch.interp.sae.SparseAutoencoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code latentwatch sae inspect DIR}: what the files hold and what latentwatch will compute from them. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Explain an SAE directory: format, architecture, d_in, d_sae, hook, dtype, normalisation, the encoder",
                "in symbols, every conversion step, and what the monitor will do with it. Files that cannot be read",
                "faithfully are refused with the file, the field and what would be needed."})
public final class SaeInspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "SAE directory (SAELens, Gemma Scope, Llama Scope or sparsify)")
    Path dir;

    @Mixin
    SaeLoadMixin load = new SaeLoadMixin();

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        SaeSource src = SaeLoadMixin.userError(() -> SaeFiles.read(dir, load.options()));
        try (SparseAutoencoder sae = SaeLoadMixin.userError(() -> SaeFiles.build(src))) {  // every shape checked, as the monitor will
            System.out.print(SaeDescription.of(src, sae));
        }
        return 0;
    }
}
