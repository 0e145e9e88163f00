package io.reactivedb.internal.pool;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The host name check of {@code verify-full}, against the host <em>as configured</em>.
 *
 * <p>r2dbc-postgresql 1.1 hands its verifier {@code InetSocketAddress.getHostName()} of the
 * connected socket: for a configured IP literal that is a reverse lookup, so {@code 127.0.0.1}
 * becomes {@code localhost} and passes a certificate issued for {@code localhost} only. This
 * verifier ignores that argument and checks the name the application asked for, as libpq does:
 * an IP literal matches only IP address entries of the subject alternative names; a DNS name
 * matches DNS entries ({@code *.} wildcard on the leftmost label only), and the common name only
 * when the certificate has no DNS entry at all.
 */
final class PeerNameVerifier implements HostnameVerifier {

    private static final int DNS_NAME = 2;
    private static final int IP_ADDRESS = 7;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final String host;
    private final byte @Nullable [] address;

    PeerNameVerifier(String configuredHost) {
        String h = configuredHost.startsWith("[") && configuredHost.endsWith("]")
                ? configuredHost.substring(1, configuredHost.length() - 1) : configuredHost;
        this.address = literalAddress(h);
        this.host = address != null ? h : IDN.toASCII(h).toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean verify(String ignoredPeerName, SSLSession session) {
        X509Certificate certificate;
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
                return false;
            }
            certificate = (X509Certificate) chain[0];
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
        return matches(certificate);
    }

    boolean matches(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return false;
        }
        boolean anyDnsName = false;
        if (names != null) {
            for (List<?> entry : names) {
                if (entry.size() < 2 || !(entry.get(0) instanceof Integer) || !(entry.get(1) instanceof String)) {
                    continue;
                }
                int type = (Integer) entry.get(0);
                String value = (String) entry.get(1);
                if (type == DNS_NAME) {
                    anyDnsName = true;
                    if (address == null && dnsMatches(value)) {
                        return true;
                    }
                } else if (type == IP_ADDRESS && address != null) {
                    byte[] san = literalAddress(value);
                    if (san != null && java.util.Arrays.equals(san, address)) {
                        return true;
                    }
                }
            }
        }
        if (anyDnsName || address != null) {
            return false;
        }
        String commonName = commonName(certificate);
        return commonName != null && dnsMatches(commonName);
    }

    private boolean dnsMatches(String pattern) {
        String p = pattern.toLowerCase(Locale.ROOT);
        if (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        if (!p.startsWith("*.")) {
            return p.equals(host);
        }
        String suffix = p.substring(1);
        int firstDot = host.indexOf('.');
        // The wildcard stands for exactly one whole label, never for part of the registered domain.
        return firstDot > 0 && host.substring(firstDot).equals(suffix) && suffix.indexOf('.', 1) > 0;
    }

    private static @Nullable String commonName(X509Certificate certificate) {
        try {
            String found = null;
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    found = String.valueOf(rdn.getValue());
                }
            }
            return found;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    /** The bytes of an IPv4 or IPv6 literal; {@code null} for anything else. Never resolves a name. */
    static byte @Nullable [] literalAddress(String text) {
        if (!IPV4.matcher(text).matches() && !text.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }
}
