using Awe.Studio.ApiClient;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace Awe.Studio.ComponentTests;

/// <summary>
/// A bUnit context with what Studio's components need from the app: MudBlazor's services and a popover provider (for
/// selects and menus), and an API client. The client's address answers nothing: these tests never reach the API, and
/// a component that tried would fail the test.
/// </summary>
public abstract class StudioComponentTest : BunitContext, IAsyncLifetime
{
    protected StudioComponentTest()
    {
        // MudBlazor's JS calls (focus, measuring) have no browser here; their results are not what is tested.
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(new AweApiClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/") }, new NoToken()));
        Popovers = Render<MudPopoverProvider>();
    }

    /// <summary>
    /// How long an assertion after an input may wait for the component to settle: MudBlazor's inputs hand values on
    /// asynchronously, so on a busy machine the render may come a moment after the event.
    /// </summary>
    protected static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    /// <summary>Where open menus and select lists render (MudBlazor draws popovers in the provider, not in place).</summary>
    protected IRenderedComponent<MudPopoverProvider> Popovers { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only asynchronously disposable, which xUnit's synchronous Dispose cannot do.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private sealed class NoToken : IAweTokenSource
    {
        public ValueTask<string?> GetAccessTokenAsync(CancellationToken ct) => ValueTask.FromResult<string?>(null);
    }
}
