namespace Awe.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => AweCli.RunAsync(args, Console.Out, Console.Error);
}
