package io.latentwatch.cli;

/**
 * slf4j-simple settings for the command line: Kafka's brokers and clients log a great deal at INFO,
 * which would bury the demo's output, so they log at WARN unless {@code --verbose} is given.
 * Must run before the first logger is created.
 */
final class Logging {
    private Logging() {}

    static void configure(String[] args) {
        boolean verbose = false;
        for (String a : args) if (a.equals("--verbose") || a.equals("-v")) verbose = true;
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.io.latentwatch", "info");
        // The broker warns about things that are normal for a single-node, in-process cluster.
        setIfAbsent("org.slf4j.simpleLogger.log.kafka", verbose ? "info" : "error");
        setIfAbsent("org.slf4j.simpleLogger.log.org.apache.kafka", verbose ? "info" : "error");
        setIfAbsent("org.slf4j.simpleLogger.log.io.apicurio", verbose ? "info" : "error");
        // With transactions v2 the broker rejects an exactly-once producer's first append to a
        // partition when it arrives with a non-zero sequence (another batch still in flight) and logs
        // the retriable OutOfOrderSequenceException at ERROR (KAFKA-18202); the client retries and
        // nothing is lost, but a stack trace in the demo reads like a failure. --verbose shows it.
        setIfAbsent("org.slf4j.simpleLogger.log.kafka.server.ReplicaManager", verbose ? "info" : "off");
        // DJL probes for CUDA on a CPU-only libtorch and warns twice per process; nothing to act on.
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", verbose ? "info" : "error");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}
