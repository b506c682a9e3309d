// Awe.Studio, the visual policy designer and approver inbox, gets its own issue.
// Until then it is a placeholder page so the solution layout is complete.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => Results.Content(
    "<!doctype html><title>Awe.Studio</title><h1>Awe.Studio</h1><p>The designer is not built yet. The API lives at <code>/v1/awe/</code> of Awe.Host.</p>",
    "text/html"));
app.Run();
