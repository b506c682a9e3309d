using System.Collections.Concurrent;
using Awe.Activities.Runtime;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Requests;

/// <summary>Compiled definitions never change once written, so each is parsed once per process.</summary>
public sealed class DefinitionCache
{
    private readonly ConcurrentDictionary<string, WorkflowDefinition> _byPolicyId = new();

    public async Task<WorkflowDefinition> GetAsync(AweDbContext db, string policyId, CancellationToken ct)
    {
        if (_byPolicyId.TryGetValue(policyId, out var cached)) return cached;
        var json = await db.Policies.Where(p => p.Id == policyId).Select(p => p.WorkflowDefinition).FirstOrDefaultAsync(ct)
                   ?? throw new InvalidOperationException($"policy {policyId} has no compiled workflow definition");
        return _byPolicyId.GetOrAdd(policyId, WorkflowDefinition.FromJson(json));
    }
}
