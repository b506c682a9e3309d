using System.Security.Cryptography;
using System.Xml.Linq;
using Awe.Host.Configuration;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace Awe.Host.Operations;

/// <summary>
/// Encrypts the Data Protection key ring at rest with awe.data_protection.master_key (AES-256-GCM). The ring lives
/// in the database beside the callback secrets it protects; with the master key held apart (a Kubernetes Secret), a
/// copy of the database alone cannot decrypt them. Without a master key the ring is stored as the framework writes it.
/// </summary>
public static class MasterKeyEncryption
{
    public static IServiceCollection AddAweKeyRingEncryption(this IServiceCollection services, AweOptions awe)
    {
        var key = Parse(awe.DataProtection.MasterKey);
        if (key is not null)
            services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new MasterKeyXmlEncryptor(key));
        return services;
    }

    /// <summary>The 32-byte key, null when none is configured; throws on a malformed one (start-up validation says which).</summary>
    public static byte[]? Parse(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured)) return null;
        var bytes = Convert.FromBase64String(configured.Trim());
        return bytes.Length == 32 ? bytes : throw new FormatException("the master key must be 32 bytes");
    }

    /// <summary>One line for start-up validation, or null when the value is usable.</summary>
    public static string? Problem(string? configured)
    {
        try
        {
            Parse(configured);
            return null;
        }
        catch (FormatException)
        {
            return "awe.data_protection.master_key must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`), or empty";
        }
    }

    internal static readonly XName Element = "aweMasterKeyEncrypted";
}

internal sealed class MasterKeyXmlEncryptor(byte[] key) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plain = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(key, tag.Length)) aes.Encrypt(nonce, plain, cipher, tag);
        var element = new XElement(MasterKeyEncryption.Element,
            new XComment(" Encrypted with awe.data_protection.master_key (AES-256-GCM). "),
            new XElement("value", Convert.ToBase64String([.. nonce, .. tag, .. cipher])));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>Created by Data Protection through its activator, with the host's services.</summary>
internal sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = MasterKeyEncryption.Parse(services.GetRequiredService<IOptions<AweOptions>>().Value.DataProtection.MasterKey)
            ?? throw new CryptographicException("the Data Protection key ring is encrypted with a master key, but awe.data_protection.master_key is empty");
        var data = Convert.FromBase64String((string)encryptedElement.Element("value")!);
        var nonceSize = AesGcm.NonceByteSizes.MaxSize;
        var tagSize = AesGcm.TagByteSizes.MaxSize;
        var plain = new byte[data.Length - nonceSize - tagSize];
        using (var aes = new AesGcm(key, tagSize))
            aes.Decrypt(data.AsSpan(0, nonceSize), data.AsSpan(nonceSize + tagSize), data.AsSpan(nonceSize, tagSize), plain);
        return XElement.Parse(System.Text.Encoding.UTF8.GetString(plain));
    }
}
