using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Awe.Host.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the PostgreSQL model without starting the host.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<AweDbContext>
{
    public AweDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<AweDbContext>();
        options.UseAweDatabase(DatabaseKind.Postgres, "Host=localhost;Database=awe_design;Username=postgres");
        return new AweDbContext(options.Options);
    }
}
