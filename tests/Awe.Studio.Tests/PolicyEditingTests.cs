using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class PolicyEditingTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_writes_a_policy_sees_the_API_problems_by_field_and_starts_a_new_version_from_it()
    {
        const string key = "ui.editing.v1";
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", "/policies");
        await admin.GetByRole(AriaRole.Button, new() { Name = "New policy" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        var json = dialog.GetByLabel("Policy (JSON)");
        var broken = PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita"));
        broken["stages"]![0]!["mode"] = "sometimes";
        await json.FillAsync(broken.ToJsonString());
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        // The API's validation problem, at its field, and nothing saved.
        await Expect(dialog.GetByTestId("policy-problem")).ToContainTextAsync("stages[0].mode");
        Assert.DoesNotContain(await stack.Admin.ListPoliciesAsync(), p => p.PolicyKey == key);

        await json.FillAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")).ToJsonString());
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await admin.WaitForURLAsync($"**/policies/{key}?v=1");
        await Expect(admin.Locator("[data-testid=version][data-version='1']")).ToHaveAttributeAsync("data-status", "draft");

        // A new version starts from the shown one, sent back as fetched.
        await admin.GetByRole(AriaRole.Button, new() { Name = "New version from v1" }).ClickAsync();
        dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByLabel("Policy (JSON)")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("u-rita"));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await admin.WaitForURLAsync($"**/policies/{key}?v=2");
        await Expect(admin.Locator("[data-testid=version][data-version='2']")).ToHaveAttributeAsync("data-status", "draft");
        Assert.Equal([2, 1], (await stack.Admin.ListVersionsAsync(key)).Select(v => v.Version));
    }
}
