namespace Awe.Studio;

/// <summary>
/// Awe.Studio alone, as the awe-ui image runs it: ASPNETCORE_URLS (default http://localhost:8080) and
/// AWE__STUDIO__API_BASE_URL (default http://localhost:8000). A named class rather than top-level statements: a
/// global Program here would clash with Awe.Host's in projects that reference both (the host tests).
/// </summary>
public static class StudioProgram
{
    public static void Main(string[] args) => StudioApp.Build(args).Run();
}
