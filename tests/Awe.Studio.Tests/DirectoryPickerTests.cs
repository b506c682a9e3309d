using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

/// <summary>An API whose directory is a (fake, real-HTTP) Keycloak, with Studio in front: the user pickers search it.</summary>
public sealed class DirectoryStack : IAsyncLifetime
{
    private TestDatabase? _database;
    private WebApplication? _studio;

    public FakeKeycloak Keycloak { get; private set; } = null!;
    public HostProcess Host { get; private set; } = null!;
    public string StudioUrl { get; private set; } = "";
    public AweApiClient Admin => new(new HttpClient { BaseAddress = new Uri(Host.BaseUrl + "/") }, new FixedToken(Tokens.Admin));

    public async Task InitializeAsync()
    {
        if (!UiTests.Enabled) return; // every test using it is skipped: start nothing
        Keycloak = await FakeKeycloak.StartAsync();
        Keycloak.AddUser("u-rita", "rita@example.org", "Rita", "Reviewer");
        Keycloak.AddUser("u-bob", "bob.baker@example.org", "Bob", "Baker");
        Keycloak.AddUser("u-bea", "bea@example.org", "Beatrice", "Bauer");
        _database = await TestDatabase.CreateAsync();
        Host = await HostProcess.StartAsync(_database.ConnectionString, Keycloak.ResolverSettings());
        _studio = StudioApp.Build(["--environment", "Development", "--Logging:LogLevel:Default", "Warning"],
            urls: "http://127.0.0.1:0", apiBaseUrl: Host.BaseUrl);
        await _studio.StartAsync();
        StudioUrl = _studio.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_studio is not null) await _studio.DisposeAsync();
        if (Host is not null) await Host.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (Keycloak is not null) await Keycloak.DisposeAsync();
    }

    private sealed class FixedToken(string token) : IAweTokenSource
    {
        public ValueTask<string?> GetAccessTokenAsync(CancellationToken ct) => ValueTask.FromResult<string?>(token);
    }
}

[Collection(StudioCollection.Name)]
public sealed class DirectoryPickerTests(StudioStack stack, DirectoryStack directory) : IClassFixture<DirectoryStack>
{
    [UiFact]
    public async Task An_admin_reassigns_a_task_to_a_person_found_by_name_in_the_directory()
    {
        const string key = "ui.picker.v1";
        await directory.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await directory.Admin.ActivateAsync(key, 1);
        var request = await directory.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-P-1", new JsonObject { ["amount"] = 5 }));

        var admin = await StudioBrowser.SignInAsync(stack.Browser, directory.StudioUrl, "u-ada", "AWE_ADMIN", $"/requests/{request.RequestId}");
        await admin.Locator("[data-testid=task][data-assignee=u-rita]").GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Search by name, username or e-mail");
        // A first name finds the person; the option shows who they are, the value is their assignee id.
        await dialog.GetByLabel("New assignee").FillAsync("Baker");
        var bob = admin.Locator("[data-testid=user-option][data-user-id=u-bob]");
        await Expect(bob).ToContainTextAsync("Bob Baker, bob.baker@example.org");
        await Expect(admin.Locator("[data-testid=user-option][data-user-id=u-bea]")).ToHaveCountAsync(0);
        await admin.ScreenshotAsync("reassign-picker");
        await bob.ClickAsync();
        await dialog.GetByLabel("Reason").FillAsync("Rita is on leave");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();

        await Expect(admin.Locator("[data-testid=task][data-assignee=u-bob]")).ToContainTextAsync("reassigned from u-rita");
        var tasks = await directory.Admin.ListTasksAsync(new TaskFilter(Assignee: "u-bob", RequestId: request.RequestId));
        Assert.Equal("open", tasks.Items.Single().Status);
    }

    [UiFact]
    public async Task The_delegation_form_picks_both_people_from_the_directory()
    {
        var admin = await StudioBrowser.SignInAsync(stack.Browser, directory.StudioUrl, "u-ada", "AWE_ADMIN", "/delegations");
        var form = admin.GetByTestId("delegation-form");
        await form.GetByLabel("User (away)").FillAsync("rita@");
        await admin.Locator("[data-testid=user-option][data-user-id=u-rita]").ClickAsync();
        await form.GetByLabel("Delegate to").FillAsync("Beatrice");
        await admin.Locator("[data-testid=user-option][data-user-id=u-bea]").ClickAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Create delegation" }).ClickAsync();

        var row = admin.GetByTestId("delegations-table").Locator("tr").Filter(new() { HasText = "u-bea" });
        await Expect(row).ToContainTextAsync("u-rita");
        var stored = Assert.Single(await directory.Admin.ListDelegationsAsync("u-rita"));
        Assert.Equal("u-bea", stored.DelegateTo);
    }
}
