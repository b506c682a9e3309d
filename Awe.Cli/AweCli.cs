using System.CommandLine;
using System.Net;
using Awe.Client;
using Refit;

namespace Awe.Cli;

public static class AweCli
{
    /// <param name="transport">the HTTP transport (tests); null: a real socket handler</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpMessageHandler? transport = null)
    {
        var ctx = new CliContext(output, error, transport);
        var root = new RootCommand("awe — approval policies as code, and the requests, tasks and webhook deliveries of an AWE server")
        {
            CliContext.Server, CliContext.Token, CliContext.TokenUrl, CliContext.ClientId, CliContext.ClientSecret, CliContext.Output,
        };
        foreach (var command in PolicyCommands.Build(ctx)) root.Add(command);
        foreach (var command in OperationCommands.Build(ctx)) root.Add(command);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"error: {e.Message}");
            error.WriteLine("see awe --help");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (ApiException e)
        {
            var errors = AweErrors.Read(e);
            if (errors.Count == 0) error.WriteLine($"error: {e.RequestMessage.Method} {e.RequestMessage.RequestUri} answered HTTP {(int)e.StatusCode}");
            foreach (var x in errors) error.WriteLine($"error: {x.ErrorCode} {x.Message}");
            return (int)e.StatusCode >= 500 ? ExitCodes.Unavailable : ExitCodes.Refused;
        }
        catch (ApiRequestException e) when (e.InnerException is HttpRequestException inner)
        {
            // Refit's wrapper when no answer came from AWE: the network, or the token endpoint.
            return Transport(inner, error);
        }
        catch (HttpRequestException e)
        {
            return Transport(e, error);
        }
        catch (TaskCanceledException e) when (!e.CancellationToken.IsCancellationRequested)
        {
            error.WriteLine("error: the server did not answer in time");
            return ExitCodes.Unavailable;
        }
    }

    private static int Transport(HttpRequestException e, TextWriter error)
    {
        error.WriteLine($"error: {e.Message}");
        // A token endpoint refusing the credentials is the caller's to fix, like a 4xx from AWE.
        return e.StatusCode is { } status && (int)status is >= 400 and < 500 && status != HttpStatusCode.TooManyRequests ? ExitCodes.Refused : ExitCodes.Unavailable;
    }
}
