package io.latentwatch.interp.lens;

/** One decoded token: vocabulary id, its vocabulary string, and its probability under the decoder. */
public record DecodedToken(int id, String token, float probability) {}
