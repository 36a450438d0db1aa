using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tangent.Cluster;

/// <summary>
/// The security settings of a cluster (docs/CLUSTER.md, "Security"): the cluster's certificate and the Redis password. With a
/// certificate, every connection between silos and from clients to silos is mutual TLS: each side presents the cluster's
/// certificate and accepts the other only if it presents a certificate with the same SHA-256 thumbprint (pinning; no
/// certificate authority is consulted, so a self-signed certificate is the normal case). A peer without TLS or with another
/// certificate is refused during the handshake. The Redis password authenticates silos and clients to the Redis server that
/// holds the membership; it does not encrypt the Redis traffic. <see cref="ToString"/> never shows the password.
/// </summary>
public sealed class ClusterSecurity
{
    /// <summary>The extended key usage of a TLS server certificate.</summary>
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The extended key usage of a TLS client certificate.</summary>
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly byte[]? _thumbprint;

    /// <summary>Creates the settings: the cluster's certificate (with its private key) and the Redis password, either or both null.</summary>
    /// <exception cref="ArgumentException">The certificate has no private key or is not allowed for both TLS server and client authentication, or the password is empty or has a line break; the message says how to fix it.</exception>
    public ClusterSecurity(X509Certificate2? certificate = null, string? redisPassword = null)
    {
        if (certificate is not null)
        {
            CheckUsable(certificate, $"The certificate {certificate.Subject}");
            _thumbprint = certificate.GetCertHash(HashAlgorithmName.SHA256);
        }
        if (redisPassword is not null && (redisPassword.Length == 0 || redisPassword.AsSpan().IndexOfAny('\r', '\n') >= 0))
            throw new ArgumentException("The Redis password is empty or holds a line break; give the password on one line (the value of requirepass in redis.conf).", nameof(redisPassword));
        Certificate = certificate;
        RedisPassword = redisPassword;
    }

    /// <summary>No TLS and no Redis password: the unsecured development setting (docs/CLUSTER.md says what it exposes).</summary>
    public static ClusterSecurity None { get; } = new();

    /// <summary>The cluster's certificate, with its private key, or null for plain TCP.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The password of the Redis server that holds the membership, or null for none. Never printed.</summary>
    public string? RedisPassword { get; }

    /// <summary>True when connections are mutual TLS with <see cref="Certificate"/>.</summary>
    public bool UsesTls => Certificate is not null;

    /// <summary>The SHA-256 thumbprint of <see cref="Certificate"/> in upper-case hex (what peers are pinned to), or null without TLS.</summary>
    public string? Thumbprint => _thumbprint is null ? null : Convert.ToHexString(_thumbprint);

    /// <summary>
    /// Whether <paramref name="peer"/> is the cluster's certificate (the same SHA-256 thumbprint). A peer is refused when this
    /// cluster has no certificate or the peer presents none.
    /// </summary>
    public bool IsClusterCertificate(X509Certificate2? peer) =>
        _thumbprint is not null && peer is not null && CryptographicOperations.FixedTimeEquals(_thumbprint, peer.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>Loads the cluster's certificate and its private key from a PKCS#12 file (.pfx or .p12), protected by <paramref name="password"/> or by none (null).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file cannot be opened with the password (a wrong password, or not PKCS#12), or the certificate has no private key or the wrong key usage; the message names the file and the fix.</exception>
    public static X509Certificate2 LoadCertificate(string path, string? password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The certificate file '{path}' does not exist; give the PKCS#12 file (.pfx) holding the cluster's certificate and its private key (docs/CLUSTER.md shows how to make one).", path);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            string given = string.IsNullOrEmpty(password) ? "without a password" : "with the password given";
            throw new InvalidDataException($"The certificate file '{path}' cannot be opened {given}: the password is wrong or the file is not PKCS#12 (.pfx/.p12). Give the file's password, or export the certificate with its key: openssl pkcs12 -export -in cert.pem -inkey key.pem -out cluster.pfx.", e);
        }
        try
        {
            CheckUsable(certificate, $"The certificate in '{path}'");
        }
        catch (ArgumentException e)
        {
            certificate.Dispose();
            throw new InvalidDataException(e.Message, e);
        }
        return certificate;
    }

    /// <summary>Refuses a certificate that cannot serve both sides of mutual TLS.</summary>
    private static void CheckUsable(X509Certificate2 certificate, string what)
    {
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"{what} has no private key; every silo and client proves it holds the cluster's certificate with that key. Export the certificate with its key: openssl pkcs12 -export -in cert.pem -inkey key.pem -out cluster.pfx.", nameof(certificate));
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509EnhancedKeyUsageExtension eku) continue;
            var usages = eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet(StringComparer.Ordinal);
            if (!usages.Contains(ServerAuthOid) || !usages.Contains(ClientAuthOid))
                throw new ArgumentException($"{what} has an extended key usage without both TLS server and client authentication, but each silo is a TLS server and a client. Make the certificate without that extension, or with extendedKeyUsage = serverAuth, clientAuth (docs/CLUSTER.md).", nameof(certificate));
        }
    }

    /// <summary>What is on, without the password: e.g. <c>TLS on (certificate SHA-256 AB12…), Redis password set</c>.</summary>
    public override string ToString() =>
        (UsesTls ? $"TLS on (certificate SHA-256 {Thumbprint![..16]}…)" : "TLS off (plain TCP, no authentication)")
        + (RedisPassword is null ? "" : ", Redis password set");
}
