/**
 * Tests of the deployment files: Compose, Kubernetes and local-stack files, Prometheus rules (promtool) and the
 * dashboards against a real Prometheus.
 */
package io.latentwatch.cli.deploy;
