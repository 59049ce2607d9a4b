/**
 * The fault suite ({@code latentwatch chaos SCENARIO --dir DIR}): on the local stack of separate processes
 * ({@code deploy/local/stack}), each {@link io.latentwatch.chaos.Scenario} sends the same seeded traffic twice, once
 * fault-free (the reference) and once with its fault (kill -9 of a monitor, the broker, the registry or the trainer;
 * a paused broker), and {@link io.latentwatch.chaos.ChaosRunner} compares the alerts and explanations of the two runs
 * by alert id (missing, extra, duplicated), measures recovery, the node's request p99 during the fault and the
 * samples' fate, and runs {@code audit verify}.
 */
package io.latentwatch.chaos;
