using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Activities.Policies;
using Awe.Client;
using Refit;

namespace Awe.Cli;

internal static class PolicyCommands
{
    private static Argument<string[]> Paths() => new("paths") { Description = "policy files (*.json) or folders of them", Arity = ArgumentArity.OneOrMore };

    public static IEnumerable<Command> Build(CliContext ctx)
    {
        var validatePaths = Paths();
        var validate = new Command("validate", "Check policy files offline with the server's own validator; problems are printed as file: path: message") { validatePaths };
        validate.SetAction(p =>
        {
            var files = PolicyFile.Load(p.GetValue(validatePaths)!);
            var ok = PolicyFile.Report(files, ctx.Err);
            if (ctx.Json(p))
                ctx.WriteJson(files.Select(f => new { file = f.Path, policy_key = f.Key, problems = f.Problems.Select(x => new { path = x.Path, message = x.Message }) }));
            else if (ok) ctx.Out.WriteLine($"{files.Count} policy file(s) valid");
            return ok ? ExitCodes.Ok : ExitCodes.Problems;
        });

        var diffPaths = Paths();
        var diff = new Command("diff", "Compare policy files with the newest versions on the server, stage by stage (exit 1 when they differ)") { diffPaths };
        diff.SetAction(async (p, ct) =>
        {
            var files = PolicyFile.Load(p.GetValue(diffPaths)!);
            if (!PolicyFile.Report(files, ctx.Err)) return ExitCodes.Problems;
            var api = ctx.Api(p);
            var plans = new List<Plan>();
            foreach (var f in files) plans.Add(await PlanAsync(api, f, ct));
            if (ctx.Json(p)) ctx.WriteJson(plans.Select(x => x.ToJson()));
            else foreach (var plan in plans) plan.Describe(ctx.Out);
            return plans.Any(x => x.Changes.Count > 0) ? ExitCodes.Problems : ExitCodes.Ok;
        });

        var applyPaths = Paths();
        var activate = new Option<bool>("--activate") { Description = "activate the version that matches each file" };
        var dryRun = new Option<bool>("--dry-run") { Description = "show what would be done; change nothing" };
        var apply = new Command("apply", "Create a policy, or a new draft version of it, for each file that differs from the server; applying twice changes nothing")
            { applyPaths, activate, dryRun };
        apply.SetAction(async (p, ct) =>
        {
            var files = PolicyFile.Load(p.GetValue(applyPaths)!);
            // All files are checked before anything is sent: a broken file stops the whole rollout.
            if (!PolicyFile.Report(files, ctx.Err)) return ExitCodes.Problems;
            var api = ctx.Api(p);
            var results = new List<JsonObject>();
            for (var i = 0; i < files.Count; i++)
            {
                ctx.Err.WriteLine($"[{i + 1}/{files.Count}] {files[i].Key} ({files[i].Path})");
                results.Add(await ApplyAsync(api, await PlanAsync(api, files[i], ct), p.GetValue(activate), p.GetValue(dryRun), ct));
            }
            if (ctx.Json(p)) ctx.WriteJson(new JsonArray([.. results]));
            else ctx.WriteTable(["policy_key", "action", "version", "status"],
                results.Select(r => new[] { (string?)r["policy_key"], (string?)r["action"], r["version"]?.ToString(), (string?)r["status"] }));
            return ExitCodes.Ok;
        });

        var dir = new Option<string>("--dir") { Description = "folder to write <policy_key>.json files into", DefaultValueFactory = _ => "." };
        var keys = new Option<string[]>("--key") { Description = "only these policies (repeatable)", AllowMultipleArgumentsPerToken = true };
        var export = new Command("export", "Write the newest version of each policy as a file that apply round-trips exactly") { dir, keys };
        export.SetAction(async (p, ct) =>
        {
            var api = ctx.Api(p);
            var wanted = p.GetValue(keys) ?? [];
            var policies = (await api.ListPoliciesAsync(ct)).Where(x => wanted.Length == 0 || wanted.Contains(x.PolicyKey)).ToList();
            var missing = wanted.Except(policies.Select(x => x.PolicyKey)).ToList();
            if (missing.Count > 0) throw new UsageException($"no such policy: {string.Join(", ", missing)}");
            var folder = p.GetValue(dir)!;
            Directory.CreateDirectory(folder);
            var written = new List<string>();
            foreach (var policy in policies)
            {
                var (document, problems) = PolicyDocument.Read(await api.GetPolicyDocumentAsync(policy.PolicyKey, policy.Version, ct));
                if (document is null)
                    throw new InvalidOperationException($"{policy.PolicyKey} v{policy.Version} from the server is not a valid document: {string.Join("; ", problems)}");
                var path = Path.Combine(folder, policy.PolicyKey + ".json");
                await File.WriteAllTextAsync(path, document.ToJsonString(CliContext.JsonOut) + "\n", ct);
                written.Add(path);
            }
            if (ctx.Json(p)) ctx.WriteJson(written);
            else foreach (var path in written) ctx.Out.WriteLine(path);
            return ExitCodes.Ok;
        });

        var simKey = new Argument<string>("policy_key");
        var simVersion = new Option<int?>("--version") { Description = "version to simulate (default: the newest)" };
        var context = new Option<string?>("--context") { Description = "JSON file with the request context" };
        var requester = new Option<string?>("--requester") { Description = "who asks (for forbid_self_approval)" };
        var simulate = new Command("simulate", "Who would approve, stage by stage, for a context (nothing is written)") { simKey, simVersion, context, requester };
        simulate.SetAction(async (p, ct) =>
        {
            var api = ctx.Api(p);
            var key = p.GetValue(simKey)!;
            var version = p.GetValue(simVersion) ?? (await api.ListVersionsAsync(key, ct))[0].Version;
            JsonObject? facts = null;
            if (p.GetValue(context) is { } file)
            {
                if (!File.Exists(file)) throw new UsageException($"{file}: no such file");
                facts = JsonNode.Parse(await File.ReadAllTextAsync(file, ct)) as JsonObject ?? throw new UsageException($"{file}: must hold a JSON object");
            }
            var result = await api.SimulateAsync(key, version, new SimulationInput(facts, p.GetValue(requester)), ct);
            if (ctx.Json(p)) ctx.WriteJson(result);
            else
            {
                ctx.WriteTable(["stage", "name", "outcome", "approvers", "observers"], result.Stages.Select(s => new[]
                    { s.StageOrder.ToString(), s.Name, s.Outcome, string.Join(", ", s.ResolvedApprovers), string.Join(", ", s.Observers) }));
                if (result.Outcome is { } outcome) ctx.Out.WriteLine($"request would be {outcome} at once");
            }
            return ExitCodes.Ok;
        });

        return [validate, diff, apply, export, simulate];
    }

    /// <summary>A file against the server: its newest version (if any) and what applying the file would change.</summary>
    private sealed record Plan(PolicyFile File, PolicyVersion? Latest, IReadOnlyList<PolicyChange> Changes)
    {
        public string Key => File.Key!;

        public JsonObject ToJson() => new()
        {
            ["file"] = File.Path, ["policy_key"] = Key, ["server_version"] = Latest?.Version, ["server_status"] = Latest?.Status,
            ["changes"] = new JsonArray([.. Changes.Select(c => (JsonNode)new JsonObject
            {
                ["stage"] = c.Stage, ["change"] = c.Change, ["fields"] = new JsonArray([.. c.Fields.Select(f => (JsonNode)f)]),
            })]),
        };

        public void Describe(TextWriter w)
        {
            if (Latest is null) { w.WriteLine($"{Key}: new policy ({File.Path})"); return; }
            if (Changes.Count == 0) { w.WriteLine($"{Key}: no changes (v{Latest.Version}, {Latest.Status})"); return; }
            w.WriteLine($"{Key}: differs from v{Latest.Version} ({Latest.Status})");
            foreach (var c in Changes)
                w.WriteLine($"  {(c.Stage is { } s ? $"stage {s}" : "policy")}: {c.Change}{(c.Fields.Count > 0 ? " " + string.Join(", ", c.Fields) : "")}");
        }
    }

    private static async Task<Plan> PlanAsync(IAweApi api, PolicyFile file, CancellationToken ct)
    {
        IReadOnlyList<PolicyVersion> versions;
        try
        {
            versions = await api.ListVersionsAsync(file.Key!, ct);
        }
        catch (ApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return new Plan(file, null, PolicyDocument.Compare(null, file.Document!));
        }
        var latest = versions[0];
        var (current, _) = PolicyDocument.Read(await api.GetPolicyDocumentAsync(file.Key!, latest.Version, ct));
        return new Plan(file, latest, PolicyDocument.Compare(current, file.Document!));
    }

    private static async Task<JsonObject> ApplyAsync(IAweApi api, Plan plan, bool activate, bool dryRun, CancellationToken ct)
    {
        string action;
        Policy? result = null;
        var version = plan.Latest?.Version;
        var status = plan.Latest?.Status;
        if (plan.Latest is null)
        {
            action = dryRun ? "would create" : "created";
            version = 1;
            if (!dryRun) result = await api.CreatePolicyAsync(plan.File.Document!.DeepClone().AsObject(), ct);
        }
        else if (plan.Changes.Count > 0)
        {
            action = dryRun ? "would add a version" : "new version";
            version = plan.Latest.Version + 1;
            if (!dryRun) result = await api.AddVersionAsync(plan.Key, plan.File.Document!.DeepClone().AsObject(), ct);
        }
        else action = "unchanged";
        if (result is not null) (version, status) = (result.Version, result.Status);
        else if (dryRun && plan.Changes.Count > 0) status = "draft";

        if (activate && status != "active")
        {
            if (dryRun) action += ", would activate";
            else
            {
                status = (await api.ActivateAsync(plan.Key, version!.Value, ct)).Status;
                action += ", activated";
            }
        }
        return new JsonObject { ["policy_key"] = plan.Key, ["action"] = action, ["version"] = version, ["status"] = status };
    }
}
