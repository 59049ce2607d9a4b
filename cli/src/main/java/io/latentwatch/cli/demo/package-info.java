/**
 * {@code latentwatch demo} as wiring: one run ({@code DemoRun}) starts the product's node, the trainer's refits (scheduled by
 * its {@code RefitScheduler}) and the deployed {@code MonitorService}, configured with {@code monitor.*} keys, in this JVM
 * on embedded infrastructure, plus what only a demo needs: a prompt corpus shaped like the node's
 * traffic, a "broken node" for the dead-letter path, a console, and the summary scored against the injected truth.
 */
package io.latentwatch.cli.demo;
