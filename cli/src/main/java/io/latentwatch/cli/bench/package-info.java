/**
 * The {@code latentwatch bench monitor} benchmark: drives the monitor topology on a real broker and measures
 * samples/s against the machine's matmul ceiling ({@code MatmulCeiling}).
 */
package io.latentwatch.cli.bench;
