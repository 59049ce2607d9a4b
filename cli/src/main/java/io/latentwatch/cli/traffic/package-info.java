/**
 * The traffic generator behind {@code latentwatch traffic}: prompt mixes per scenario (in-domain, drift, injected
 * anomalies, circuit triggers) sent to a node, one JSON line of ground truth per request.
 */
package io.latentwatch.cli.traffic;
