/**
 * The monitor's query endpoints: interactive queries over the state stores across instances ({@code /latents},
 * {@code /alerts}, {@code /sae-versions}) and the incident pages ({@code /incidents}, {@code /explanations/}) with
 * the source that reads incidents and explanations from the stores.
 */
package io.latentwatch.monitor.http;
