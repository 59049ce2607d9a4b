/**
 * The SAEs in force: {@code SaeRegistry} loads verified artifacts per model and hook, swaps versions without
 * stopping and keeps reference-counted {@code LoadedSae}s.
 */
package io.latentwatch.monitor.sae;
