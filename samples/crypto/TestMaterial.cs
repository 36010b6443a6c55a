namespace CryptoSample;

/// <summary>
/// Fixed keys, certificates and the answers OpenSSL's command line gave for them (openssl 3.0, Debian 12), made once
/// for this sample only: none of these keys protects anything.
/// </summary>
static class TestMaterial
{
    public const string Message = "unikernel known-answer message";

    // openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
    public const string RsaPrivateKey = """
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCX/o9Ypv/b8InY
cB0Ewlh1m++G27D1fHFVdr/8QKWow3C4dXOBExwitqAeyc3W/emAtPcfz0kztHOr
cTYGoMnA6VbfWxzFBk27WfCZEdrWj6BSaGc295c/NJWPT1hT6t9U0giOCD9t6gV6
+J6a+IU+WitKBmtnfRI2uay4sygAEGFY5E9VmQ96jDJcs5xS8YwQ0X9zbdsjuIq0
xp0p7aR1MjtUjeqgkEURhl1WQxs6+dvG72A+a14T+LjingYsXFBxj7tOoKcnhE0K
g6ZnLd1vaxFhtC1OD8tMi4o3zNQPjkAwLa2s+Qvp1xSU1mqk/tFZfTppOTbkkg2e
IfiIB6UlAgMBAAECggEAH+ASz9S187oOLoXUkBrx0jhRk0afZdwjKHku6gfkte/G
w+hdwMPxMpZ6HfrUYDH/ti49ZT5ja6R8XYfwfJNbvEkzHsRM1ETuKExEWNWVv0l/
pcifXLev0GGGu/c33uFy1Kb3hFHWe4aIf7GEEZvs1ZazXWLbQ2jHWRK3VkS8Lsbt
vmfkBvJveFrgFc/EUqBNXNLE+FftFHBE7rbdU9PEGI5p4QFBhNJbI0gfUQT3SkyG
In4i6m1iunJM7qiUTM5aUNcClKtEV7VfXfliFVXkkMRC2jawAohYZcP6kWtFthvM
VClx5uLVqVSaHZLnQRwJkZwpguWfOr0/C82SWo1EQQKBgQDR1TQTXrUf8d4vsj9P
t0J890hcW0F0AursY/eqUTJVRcwRTACGTFC0+f2aJlkWwkG9uwXSj7Uefcr2m3mz
R2JVpaMUjxW0p8RclaQfVuAE1isMNVIfDUChK8RUucwLFTHjxgvOpsATAddeP5X7
yHKQ4BPL6JQcZZ8F0KAUlLuDawKBgQC5b522LLY4DM7u+9EX0FjuXvjcjfMU8StS
Co3BeVg4Ag2bSs23qWj9EAXiAtVMmzf11P81TwqkK/1XkYtiSo1eDXbejwFkSaCD
6iFjn4Dr2JBrH/yJwpc7JoIP10zyFEKvkCvkFaGkVvgykTWdRy2Uj1vQRVrbTwia
jvxpT/0trwKBgBwMG4HbTuqOMdy+PqgxHroFc66kpAMVwMEIO7qQT+IGCljlh8xr
tv35zGQmbBIWtSLfNNAIVXVV6yM7dPD5wbMhCMNevNAA/MZDWkS2IAuFdQuUtP1h
kBn696s7ioKQurJvbnSY5WOlA1ydszaMfIPQ79R5qhKBotfsIvmdR9MxAoGBAK1o
aU2BBm3n3GOz7NaeKWvQOFzYCadd2CsCX4m71fmaQeskyrejnuB36WhvSdQ3mt8y
7e2GGudnk6QeIQArw4Neh/icNqr4BzkU62BkOoVSocrrwJd69z2DR0FVD0maFLpk
0gabC+vIwJVZIZAQjdlNLojXMp2/jMYsTHKXMKVVAoGAfE2/6mVxESioWGK2zW8F
69Te65lbPju0FQPvAbrs1hG2sMMDpywiCSOfjo6+NGX4sK2lQgFVW692ihGjKNq6
Gw0TbsRhv+FM+gMExAHCNUZgIqKAkMoBloROq0UblN1voUQq0+EHgyqf/oORBmWX
atXs9jJmbeJd/KF3SqIcLuA=
-----END PRIVATE KEY-----
""";

    // openssl dgst -sha256 -sign rsa.pem (PKCS#1 v1.5: deterministic, so signing again must give these bytes)
    public const string RsaSha256Signature = "232fe5eeccee8c310d45989fc1a53d91b6ec8765f6b1ac1aeedaac8f3bb9a9d7a8913d16f2d9b49d8600b1d95eb0a81b0f98addec52a9bc23147f2266c331ea8bd419f1713fc4875787bd85f045b39df57043b4f08668d67f51646aa780dd1413a87c461326ce9dc4edd15b5bc5bd8075af91076ac969f0daf5d3a4c9526fd319d32c9901b981c61648ac24934cc46923d0a933836724e33fa1dc2a962324b259134eb80014515fa62ecc92a4fbb96330367254ee514c098070945f37ff1ad1c99c3348803a61068e0a663a8abb67cdf7b0b5ec38576d965dae3d18c33714ef879ebe6cd787b83566fbf3e8aba54f6409c3763546b56dad51a630cded87be9f6";

    // "secret for rsa-oaep", openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 (base64)
    public const string RsaOaepSha256Ciphertext = "CdzLcCCPjad2eIYYoRLHsDV8TsuprXgRYC7Ah6oGeJFyQl81b3uhv3r+PPD4wm4bFIbHu/pFLtAgE3l175+Ds6C4lvqRCqjOIb9A3bQRmc4U+QFFxpx7AAwygb4mb8oVi3b+cEoYk3avap+fkxGOr0SDHbsZlta8Daxro6fTeIKJ4gzMmO99grCIp6+w21IQWOQ0HrFWQDUpTbW/hZ5Vndika6aEWe2aSsougjFIoHCy9LUIpP6yvhA6SOJ1nZq6YMZWcXt9BN5sqWOvP0PXMjMOnfgNYUGvdv0g+bWVcp+DI/hufEloQ1zvHDb1ZQCET57E5vqUXDjQWriZKmxphA==";
    public const string RsaOaepPlaintext = "secret for rsa-oaep";

    // openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 (twice)
    public const string EcPrivateKey1 = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWC6uDtwnn0K0OrWo
mK+pmXZUKcAVyJwV8piw5gKX0ZuhRANCAARcP1qAIp/F2zPnXdqNS4vtZMA8Qumr
ed+FYbPkUmZ6Ijf+uml2XztO1XeRvaZLUx7UH0KU0rn3zMJ7brYTxQdY
-----END PRIVATE KEY-----
""";

    public const string EcPrivateKey2 = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnz1+fDyMh2IoKTVJ
C9kLF61CcV6tWfMQdqb7oyLexkmhRANCAASOQ1kyzfexTc6QyDxBf9uh5T0Ok22p
iOBQ7UYHD7KAEVWkgYLAZaRxcQ7YdfZ7isI8Cf0k8iLP547HBez0yDup
-----END PRIVATE KEY-----
""";

    // openssl dgst -sha256 -sign ec1.pem (DER SEQUENCE of r and s)
    public const string EcdsaSha256Signature = "3046022100f37ecb1196d8944e42271b9b389fcbce80cca34f64ab5ef77bd6b343d4fb191f022100b2ee1411a4d1ba2200692e9abe62c794f19955ca3d08e65b83b959eb7889235f";

    // openssl pkeyutl -derive -inkey ec1.pem -peerkey ec2.pub.pem
    public const string EcdhSharedSecret = "e4092460586c2f86e5339d473c111842811f0e87d9a91eec1c290b2e98f611c7";

    // openssl req -x509 (P-256, CA:TRUE, ten years from 2026-12-06) and a server certificate it issued
    public const string SampleRootCa = """
-----BEGIN CERTIFICATE-----
MIIBqzCCAVGgAwIBAgIUY2ITl1V3f2ZJWLYr+9OLztjXIPEwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYVW5pa2VybmVsIFNhbXBsZSBSb290IENBMB4XDTI2MTIwNjIx
MjY1OVoXDTM2MTIwMzIxMjY1OVowIzEhMB8GA1UEAwwYVW5pa2VybmVsIFNhbXBs
ZSBSb290IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzkizjgdDzjyxWN4H
gs1XYk3+Ki8X4SRuuILaDZxOjSP+9WOGM4LeRpDqFl9VcyO6cgG6Y1reZO81OOEm
LHuw6qNjMGEwHQYDVR0OBBYEFGDJXuh2scpb00Cx6u3p5SMC+2kGMB8GA1UdIwQY
MBaAFGDJXuh2scpb00Cx6u3p5SMC+2kGMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P
AQH/BAQDAgEGMAoGCCqGSM49BAMCA0gAMEUCIQDS+upkuebRXbBbgxCxphqyShJl
wMLacEdQCUgucTxNAwIgMTCYPMJ7ZW8QNV+Enco6gK75B3MPJqa6/miV1aw7Rnw=
-----END CERTIFICATE-----
""";

    public const string SampleServerCertificate = """
-----BEGIN CERTIFICATE-----
MIIBvDCCAWKgAwIBAgICEAEwCgYIKoZIzj0EAwIwIzEhMB8GA1UEAwwYVW5pa2Vy
bmVsIFNhbXBsZSBSb290IENBMB4XDTI2MTIwNjIxMjY1OVoXDTM2MTIwMzIxMjY1
OVowIDEeMBwGA1UEAwwVc2FtcGxlLnVuaWtlcm5lbC50ZXN0MFkwEwYHKoZIzj0C
AQYIKoZIzj0DAQcDQgAEmm2qZCrXqX+UbMT1QGV4/EnU6MTivSgTfUgP7V2hZoP8
zaDx2J7xamuVlE3kRlcn8luQrmNktzMqDtvLZueBnaOBiDCBhTAMBgNVHRMBAf8E
AjAAMCAGA1UdEQQZMBeCFXNhbXBsZS51bmlrZXJuZWwudGVzdDATBgNVHSUEDDAK
BggrBgEFBQcDATAdBgNVHQ4EFgQUBb7CnIUzx1rS8T6rW4PFJAXWkbcwHwYDVR0j
BBgwFoAUYMle6HaxylvTQLHq7enlIwL7aQYwCgYIKoZIzj0EAwIDSAAwRQIhAMDP
2fpT40mFdnbs0UfiKMRhL4bWlfWY1tLTbt5Ckg5TAiAhxSmqN3+gM/4b9XcHbjfE
vEf0sN2c2ZaBE7oZtH4Hdg==
-----END CERTIFICATE-----
""";

    // ISRG Root X1, as Debian's ca-certificates (20230311) carries it: in the system trust store of Linux and the image.
    public const string IsrgRootX1 = """
-----BEGIN CERTIFICATE-----
MIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw
TzELMAkGA1UEBhMCVVMxKTAnBgNVBAoTIEludGVybmV0IFNlY3VyaXR5IFJlc2Vh
cmNoIEdyb3VwMRUwEwYDVQQDEwxJU1JHIFJvb3QgWDEwHhcNMTUwNjA0MTEwNDM4
WhcNMzUwNjA0MTEwNDM4WjBPMQswCQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJu
ZXQgU2VjdXJpdHkgUmVzZWFyY2ggR3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBY
MTCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAK3oJHP0FDfzm54rVygc
h77ct984kIxuPOZXoHj3dcKi/vVqbvYATyjb3miGbESTtrFj/RQSa78f0uoxmyF+
0TM8ukj13Xnfs7j/EvEhmkvBioZxaUpmZmyPfjxwv60pIgbz5MDmgK7iS4+3mX6U
A5/TR5d8mUgjU+g4rk8Kb4Mu0UlXjIB0ttov0DiNewNwIRt18jA8+o+u3dpjq+sW
T8KOEUt+zwvo/7V3LvSye0rgTBIlDHCNAymg4VMk7BPZ7hm/ELNKjD+Jo2FR3qyH
B5T0Y3HsLuJvW5iB4YlcNHlsdu87kGJ55tukmi8mxdAQ4Q7e2RCOFvu396j3x+UC
B5iPNgiV5+I3lg02dZ77DnKxHZu8A/lJBdiB3QW0KtZB6awBdpUKD9jf1b0SHzUv
KBds0pjBqAlkd25HN7rOrFleaJ1/ctaJxQZBKT5ZPt0m9STJEadao0xAH0ahmbWn
OlFuhjuefXKnEgV4We0+UXgVCwOPjdAvBbI+e0ocS3MFEvzG6uBQE3xDk3SzynTn
jh8BCNAw1FtxNrQHusEwMFxIt4I7mKZ9YIqioymCzLq9gwQbooMDQaHWBfEbwrbw
qHyGO0aoSCqI3Haadr8faqU9GY/rOPNk3sgrDQoo//fb4hVC1CLQJ13hef4Y53CI
rU7m2Ys6xt0nUW7/vGT1M0NPAgMBAAGjQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNV
HRMBAf8EBTADAQH/MB0GA1UdDgQWBBR5tFnme7bl5AFzgAiIyBpY9umbbjANBgkq
hkiG9w0BAQsFAAOCAgEAVR9YqbyyqFDQDLHYGmkgJykIrGF1XIpu+ILlaS/V9lZL
ubhzEFnTIZd+50xx+7LSYK05qAvqFyFWhfFQDlnrzuBZ6brJFe+GnY+EgPbk6ZGQ
3BebYhtF8GaV0nxvwuo77x/Py9auJ/GpsMiu/X1+mvoiBOv/2X/qkSsisRcOj/KK
NFtY2PwByVS5uCbMiogziUwthDyC3+6WVwW6LLv3xLfHTjuCvjHIInNzktHCgKQ5
ORAzI4JMPJ+GslWYHb4phowim57iaztXOoJwTdwJx4nLCgdNbOhdjsnvzqvHu7Ur
TkXWStAmzOVyyghqpZXjFaH3pO3JLF+l+/+sKAIuvtd7u+Nxe5AW0wdeRlN8NwdC
jNPElpzVmbUq4JUagEiuTDkHzsxHpFKVK7q4+63SM1N95R1NbdWhscdCb+ZAJzVc
oyi3B43njTOQ5yOf+1CceWxG1bQVs5ZufpsMljq4Ui0/1lvh+wjChP4kqKOJ2qxq
4RgqsahDYVvTH9w7jXbyLeiNdd8XM2w9U/t7y0Ff/9yi0GE44Za4rF2LN9d11TPA
mRGunUHBcnWEvgJBQl9nJEiU0Zsnvgc/ubhPgXRR4Xq37Z0j4r7g1SgEEzwxA57d
emyPxgcYxn/eR44/KJ4EBs+lVDR3veyJm+kXQ99b21/+jh5Xos1AnX5iItreGCc=
-----END CERTIFICATE-----
""";
}
