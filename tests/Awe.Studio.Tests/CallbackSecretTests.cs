using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class CallbackSecretTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_issues_a_secret_seen_once_rotates_it_and_revokes_the_old_one()
    {
        const string service = "svc-ledger-ui";
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", "/callback-secrets");

        // Without a caller service the API's problem shows under the field and nothing is issued.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Issue secret" }).ClickAsync();
        await Expect(admin.GetByTestId("secret-form")).ToContainTextAsync("caller_service");
        await Expect(admin.GetByTestId("issued-secret")).ToHaveCountAsync(0);

        await admin.GetByLabel("Caller service").FillAsync(service);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Issue secret" }).ClickAsync();
        var issued = admin.GetByTestId("issued-secret-value");
        await Expect(issued).Not.ToBeEmptyAsync();
        var first = Assert.Single(await stack.Admin.ListCallbackSecretsAsync(service));
        Assert.Equal("active", first.Status);
        var firstSecret = await issued.TextContentAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        await Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("copied|copy it by hand"));

        // Rotating shows a different secret, once; the old one is rotated with a grace period.
        var row = admin.Locator("tr").Filter(new() { Has = admin.Locator($"[data-testid=secret-row][data-id='{first.Id}']") });
        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate" }).ClickAsync();
        await admin.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Rotate" }).ClickAsync();
        await Expect(admin.GetByTestId("issued-secret")).ToContainTextAsync("The previous secret keeps signing until");
        Assert.NotEqual(firstSecret, await issued.TextContentAsync());
        var afterRotate = await stack.Admin.ListCallbackSecretsAsync(service);
        Assert.Equal(2, afterRotate.Count);
        var old = afterRotate.Single(s => s.Id == first.Id);
        Assert.Equal("rotated", old.Status);
        Assert.True(old.GraceUntil > DateTime.UtcNow);
        await Expect(admin.Locator($"[data-testid=secret-row][data-id='{first.Id}']")).ToHaveAttributeAsync("data-status", "rotated");
        await admin.ScreenshotAsync("callback-secrets");

        await admin.GetByRole(AriaRole.Button, new() { Name = "I have stored it" }).ClickAsync();
        await Expect(admin.GetByTestId("issued-secret")).ToHaveCountAsync(0);

        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await admin.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(admin.Locator($"[data-testid=secret-row][data-id='{first.Id}']")).ToHaveAttributeAsync("data-status", "revoked");
        Assert.Equal("revoked", (await stack.Admin.ListCallbackSecretsAsync(service)).Single(s => s.Id == first.Id).Status);
        Assert.Equal("active", (await stack.Admin.ListCallbackSecretsAsync(service)).Single(s => s.Id != first.Id).Status);

        // A second active secret for the service is refused with the API's advice, and nothing is issued.
        await admin.GetByLabel("Caller service").FillAsync(service);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Issue secret" }).ClickAsync();
        await Expect(admin.Locator(".mud-snackbar").Filter(new() { HasText = "already has an active secret" })).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("issued-secret")).ToHaveCountAsync(0);
        Assert.Equal(2, (await stack.Admin.ListCallbackSecretsAsync(service)).Count);

        // A reload never shows a secret again.
        await admin.ReloadAsync();
        await admin.WaitInteractiveAsync();
        await Expect(admin.GetByTestId("secrets-table")).ToContainTextAsync(service);
        await Expect(admin.GetByTestId("issued-secret")).ToHaveCountAsync(0);
    }

    [UiFact]
    public async Task A_viewer_sees_secrets_without_their_values_or_any_action()
    {
        const string service = "svc-viewer-ui";
        await stack.Admin.IssueCallbackSecretAsync(service);

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", "/callback-secrets");
        await Expect(viewer.GetByTestId("secrets-table")).ToContainTextAsync(service);
        await Expect(viewer.GetByTestId("secret-form")).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Rotate" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Revoke" })).ToHaveCountAsync(0);
    }
}
