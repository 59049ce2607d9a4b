package io.latentwatch.cli;

/** Small helpers shared by the interp commands. */
final class CliSupport {
    private CliSupport() {}

    /** DJL probes a cloud metadata address on start unless told it is offline (DESIGN.md). */
    static void offline() {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    }
}
