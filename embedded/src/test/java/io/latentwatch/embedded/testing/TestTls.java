package io.latentwatch.embedded.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority and a server key store for TLS tests, made with the JDK's
 * {@code keytool} in a temporary directory (nothing of value is committed): a CA (basic
 * constraints CA:true, valid two days), a server key signed by it for {@code 127.0.0.1} and
 * {@code localhost} (subject alternative names, so clients verify the host name as they would in
 * production), both PKCS12 with one random password, and a trust store holding the CA alone.
 *
 * @param dir        where the files are
 * @param caPem      the CA certificate (PEM), e.g. for {@code apicurio.registry.tls.certificates}
 * @param keyStore   the server's key and certificate chain (PKCS12)
 * @param trustStore the CA certificate (PKCS12)
 * @param password   of both stores and of the key
 */
public record TestTls(Path dir, Path caPem, Path keyStore, Path trustStore, String password) {

    /** Creates the CA, the server key store and the trust store under {@code dir}. */
    public static TestTls create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String pw = UUID.randomUUID().toString().replace("-", "");
        Path ca = dir.resolve("ca.p12"), server = dir.resolve("server.p12"), trust = dir.resolve("truststore.p12");
        Path csr = dir.resolve("server.csr"), crt = dir.resolve("server.crt"), caPem = dir.resolve("ca.pem");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=latentwatch test CA",
                "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore", ca.toString(), "-storepass", pw, "-keypass", pw);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw, "-file", caPem.toString());
        keytool("-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", server.toString(), "-storepass", pw, "-keypass", pw);
        keytool("-certreq", "-alias", "server", "-keystore", server.toString(), "-storepass", pw, "-file", csr.toString());
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", pw, "-infile", csr.toString(),
                "-outfile", crt.toString(), "-validity", "2", "-ext", "SAN=IP:127.0.0.1,DNS:localhost",
                "-ext", "KU=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", server.toString(), "-storepass", pw);
        keytool("-importcert", "-alias", "server", "-file", crt.toString(), "-keystore", server.toString(), "-storepass", pw);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-storetype", "PKCS12",
                "-keystore", trust.toString(), "-storepass", pw);
        return new TestTls(dir, caPem, server, trust, pw);
    }

    /** Writes {@code text} to a file in {@link #dir} readable by its owner only: a secret mounted as a file. */
    public Path secretFile(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text + "\n", StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // best effort
        }
        return f;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.add("-J-Xmx64m");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + args[0] + " did not finish");
        }
        if (p.exitValue() != 0) throw new IllegalStateException("keytool " + args[0] + " failed (" + p.exitValue() + "): " + out);
    }

    /** Never the password. */
    @Override public String toString() { return "TestTls[" + dir + "]"; }
}
