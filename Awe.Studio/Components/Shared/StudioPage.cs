using System.Security.Claims;
using Awe.Studio.ApiClient;
using Awe.Studio.Auth;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Awe.Studio.Components.Shared;

/// <summary>What every page needs: the API client, the signed-in user, and one way of running an action so the
/// API's error message reaches the user where they acted.</summary>
public abstract class StudioPage : ComponentBase
{
    [Inject] protected AweApiClient Api { get; set; } = default!;
    [Inject] protected ISnackbar Snackbar { get; set; } = default!;
    [Inject] protected NavigationManager Navigation { get; set; } = default!;
    [Inject] protected IDialogService Dialogs { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected ClaimsPrincipal User { get; private set; } = new();
    protected bool IsAdmin => User.IsAdmin();
    protected bool CanRead => User.CanRead();

    /// <summary>True while an action runs: buttons disable themselves so nothing is sent twice.</summary>
    protected bool Busy { get; private set; }

    protected override async Task OnInitializedAsync() => User = (await AuthState).User;

    /// <summary>Runs a user's action; on success shows <paramref name="done"/>, on an API error its message. Returns success.</summary>
    protected async Task<bool> ActAsync(Func<Task> action, string? done = null)
    {
        if (Busy) return false;
        Busy = true;
        try
        {
            await action();
            if (done is not null) Snackbar.Add(done, Severity.Success);
            return true;
        }
        catch (AweApiException e)
        {
            Snackbar.Add(e.Message, Severity.Error, o => o.RequireInteraction = true);
            return false;
        }
        finally
        {
            Busy = false;
            StateHasChanged();
        }
    }

    /// <summary>Loads a page's data into <paramref name="error"/> on failure (the page then shows it with Retry).</summary>
    protected static async Task<string?> LoadAsync(Func<Task> load)
    {
        try
        {
            await load();
            return null;
        }
        catch (AweApiException e)
        {
            return e.IsUnauthorized ? $"The API refused your sign-in ({e.Message}). Sign out and in again." : e.Message;
        }
    }

    /// <summary>Replaces some query parameters of the current page (filters live in the URL, so a link reproduces the view).</summary>
    protected void NavigateWithQuery(IReadOnlyDictionary<string, object?> changes) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(changes));
}
