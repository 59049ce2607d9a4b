package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeLoadOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** What {@code sae inspect} and {@code sae encode} may add when the files do not say everything. */
public final class SaeLoadMixin {
    @Option(names = "--hook", description = "TransformerLens hook the SAE reads (overrides the one derived from the files), e.g. blocks.3.hook_resid_post")
    String hook;

    @Option(names = "--hookpoint", description = "Sub-directory of a multi-hook sparsify directory, e.g. layers.6")
    String hookpoint;

    @Option(names = "--norm-scaling-factor", description = "Dataset-wide input factor of an expected_average_only_in SAE, folded into the weights as SAELens does")
    Float normScalingFactor;

    /** What a loader reads; its refusals (files that cannot be read faithfully) are the user's to fix: one line, exit code 2. */
    interface Read<T> {
        T get() throws IOException;
    }

    static <T> T userError(Read<T> r) {
        try {
            return r.get();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    SaeLoadOptions options() {
        return new SaeLoadOptions(hook, normScalingFactor, hookpoint);
    }
}
