/**
 * Independent reference implementations for the runtime's tests: scalar Llama and GPT-2 forwards, a llama2.c
 * checkpoint reader, fixtures, and the agreement tests against them.
 */
package io.latentwatch.interp.reference;
