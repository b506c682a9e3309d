using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Runtime;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Policies;

/// <summary>
/// awe.workflows.import_dir: the folder's policy files applied at start, as <c>awe apply --activate</c> would. A policy
/// that is missing, or whose newest version differs from its file, gets a new active version; an unchanged one is left
/// alone (an operator's deactivation included), so restarts change nothing. Replicas starting together import one
/// after the other under a database lock, and the later ones find nothing to do.
/// </summary>
public static class PolicyImport
{
    public const string Actor = "awe.workflows.import_dir";

    public sealed record Outcome(string PolicyKey, int Version, string Action);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Applies files read (and validated) by <see cref="Read"/>.</summary>
    public static async Task<IReadOnlyList<Outcome>> ApplyAsync(AweDbContext db, AuditLog audit, IReadOnlyList<(string File, PolicyInput Input)> files,
        DateTime now, CancellationToken ct)
    {
        var outcomes = new List<Outcome>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.IsPostgres) await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(74110012)", ct);
        foreach (var (file, input) in files)
        {
            var latest = await db.Policies.Include(p => p.Stages).ThenInclude(s => s.Rules).AsSplitQuery()
                .Where(p => p.PolicyKey == input.PolicyKey).OrderByDescending(p => p.Version).FirstOrDefaultAsync(ct);
            if (latest is not null)
            {
                var (current, _) = PolicyDocument.Read(JsonSerializer.SerializeToNode(PolicyOut.From(latest), Json));
                if (PolicyDocument.Compare(current, PolicyDocument.Canonical(input)).Count == 0)
                {
                    outcomes.Add(new Outcome(input.PolicyKey, latest.Version, "unchanged"));
                    continue;
                }
            }
            var previous = await db.Policies.Where(p => p.PolicyKey == input.PolicyKey && p.Status == PolicyStatus.Active).ToListAsync(ct);
            foreach (var p in previous)
            {
                p.Status = PolicyStatus.Archived;
                p.UpdatedAt = now;
            }
            // Archived first: the database allows one active version per key.
            await db.SaveChangesAsync(ct);
            var policy = new ApprovalPolicy { PolicyKey = input.PolicyKey, Version = (latest?.Version ?? 0) + 1, CreatedBy = Actor, CreatedAt = now };
            PolicyMapping.Apply(policy, input, now);
            policy.WorkflowDefinition = WorkflowCompiler.Compile(policy, now).ToJson();
            policy.Status = PolicyStatus.Active;
            db.Policies.Add(policy);
            audit.Record(new CallerIdentity(Actor, Actor, null, null, new HashSet<string>()), "policy.import", "policy", $"{policy.PolicyKey}:v{policy.Version}",
                after: PolicyOut.From(policy), metadata: new { file, archived = previous.Select(p => p.Version) },
                summary: $"imported {policy.PolicyKey} v{policy.Version} from {Path.GetFileName(file)} and activated it");
            await db.SaveChangesAsync(ct);
            outcomes.Add(new Outcome(input.PolicyKey, policy.Version, latest is null ? "created" : "new_version"));
        }
        await tx.CommitAsync(ct);
        return outcomes;
    }

    /// <summary>Every file validated before anything is written; any problem stops the start with all problems listed.</summary>
    public static List<(string File, PolicyInput Input)> Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new InvalidOperationException($"awe.workflows.import_dir: folder '{Path.GetFullPath(folder)}' does not exist");
        var problems = new List<string>();
        var result = new List<(string, PolicyInput)>();
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var node = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
                var (input, found) = PolicyReader.Read(node);
                problems.AddRange(found.Select(p => $"{file}: {p}"));
                if (input is not null) result.Add((file, input));
            }
            catch (JsonException e)
            {
                problems.Add($"{file}: is not valid JSON: {e.Message}");
            }
        }
        problems.AddRange(result.GroupBy(r => r.Item2.PolicyKey).Where(g => g.Count() > 1)
            .Select(g => $"{string.Join(", ", g.Select(r => r.Item1))}: policy_key '{g.Key}' appears in more than one file"));
        if (problems.Count > 0)
            throw new InvalidOperationException("awe.workflows.import_dir: invalid policy files, nothing imported:\n  - " + string.Join("\n  - ", problems));
        return result;
    }
}

/// <summary>awe.workflows.import_dir as a start-up step: the files, read and validated before the host starts, applied once the schema is current.</summary>
public sealed class PolicyImportStep(IReadOnlyList<(string File, PolicyInput Input)> files, TimeProvider clock, ILogger<PolicyImportStep> log)
    : Operations.IAfterMigration
{
    public async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var outcomes = await PolicyImport.ApplyAsync(services.GetRequiredService<AweDbContext>(), services.GetRequiredService<AuditLog>(), files,
            clock.GetUtcNow().UtcDateTime, ct);
        foreach (var imported in outcomes)
            log.LogInformation("Policy import: {Key} {Action} (v{Version})", imported.PolicyKey, imported.Action, imported.Version);
    }
}
