/**
 * The trainer as a long-lived service ({@code latentwatch trainer}): scheduled SAE and circuit-signature refits from
 * the examples and hidden-states topics, re-announcement of the versions in force, a {@code /health} endpoint.
 * The refits themselves (training, gates, artifacts, SaeVersions) live one package up.
 */
package io.latentwatch.trainer.service;
