/**
 * The {@code latentwatch} command: one picocli class per subcommand ({@code Main} lists them), each parsing flags
 * and calling the module that does the work; shared option mixins and console helpers.
 */
package io.latentwatch.cli;
