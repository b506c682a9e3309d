namespace Awe.Cli;

/// <summary>What CI scripts can rely on (also in README.md).</summary>
public static class ExitCodes
{
    /// <summary>Done; for diff: no differences.</summary>
    public const int Ok = 0;
    /// <summary>A policy file is invalid (validate, diff, apply), or diff found differences.</summary>
    public const int Problems = 1;
    /// <summary>Wrong arguments, or a file or folder that cannot be read.</summary>
    public const int Usage = 2;
    /// <summary>The API refused a call (HTTP 4xx); its AWE-0xx code and message are printed.</summary>
    public const int Refused = 3;
    /// <summary>The server or the token endpoint is unreachable or failed (network error, HTTP 5xx after retries).</summary>
    public const int Unavailable = 4;
}
